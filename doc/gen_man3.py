#!/usr/bin/env python3
"""Section-3 man pages from the doc comments of the public headers.

usage: gen_man3.py --list INCLUDE_DIR
       gen_man3.py OUTDIR VERSION INCLUDE_DIR

INCLUDE_DIR holds bugtrack.h and bugtrack/*.h.  --list prints the names of
the pages (one per exported function and per documented function-like
macro, and bugtrack for the overview), one per line, in the order meson
declares them.  Otherwise every page is written to OUTDIR as NAME.3.

The pages are built from the headers alone, so they cannot drift from the
code: a function's page is its declaration and the /** comment above it
(the comment tests/check_header_docs.py requires); bugtrack(3) is the
umbrella header's opening comment, each part's "@name" group, and the list
of every function by part.  tests/check_man3.py checks the pages against
the library's exports.
"""
import os
import re
import sys

# The parts in the order the umbrella header includes them.
INCLUDE = re.compile(r'#include\s+"bugtrack/(\w+)\.h"')
MACRO = re.compile(r'#define\s+((?:bt_|TRACK_ERRORS)\w*)\(')
NAME = re.compile(r'([A-Za-z_]\w*)\s*\(')


class Entry:
    def __init__(self, name, part, synopsis, doc, kind):
        self.name, self.part, self.synopsis = name, part, synopsis
        self.doc, self.kind = doc, kind


class Part:
    def __init__(self, stem, title, about):
        self.stem, self.title, self.about = stem, title, about
        self.entries = []
        self.codes = []  # (name, value, meaning) of errors.h's BT_* codes


CODE = re.compile(r'#define\s+(BT_\w+)\s+(-?\d+)\s+/\*\*<\s*(.*?)\s*\*/')


def comment_body(text):
    """The text of a /** ... */ or /* ... */ comment, without its frame."""
    text = re.sub(r'^/\*\*?<?', '', text.strip())
    text = re.sub(r'\*/$', '', text)
    lines = []
    for line in text.split('\n'):
        line = re.sub(r'^\s*\* ?', '', line, count=1) if line.strip().startswith('*') \
            else line.strip()
        lines.append(line.rstrip())
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return '\n'.join(lines)


def read_part(path, stem):
    with open(path, encoding='utf-8') as f:
        src = f.read()
    head = comment_body(src[:src.index('*/') + 2])
    first = head.split('\n\n')[0].replace('\n', ' ')
    # "bugtrack/db.h - Opening a database: ..." -> the title after the dash
    title = first.split(' - ', 1)[1].strip() if ' - ' in first else first
    part = Part(stem, title.rstrip('.'), '')
    part.codes = CODE.findall(src)
    lines = src.split('\n')
    i = 0
    doc = None
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith('/**') and not line.lstrip().startswith('/***'):
            j = i
            while '*/' not in lines[j]:
                j += 1
            text = comment_body('\n'.join(lines[i:j + 1]))
            if text.startswith('@name'):
                body = re.sub(r'^@name[^\n]*\n?', '', text).replace('@{', '').strip()
                if body:
                    part.about = body
                doc = None
            else:
                doc = text
            i = j + 1
            continue
        stripped = line.strip()
        if doc is not None and stripped.startswith('BT_EXTERN'):
            j = i
            while ';' not in lines[j]:
                j += 1
            decl = ' '.join(l.strip() for l in lines[i:j + 1])
            decl = re.sub(r'\bBT_EXTERN\s+', '', decl)
            decl = re.sub(r'\s*BT_PRINTF\([^)]*\)', '', decl)
            decl = re.sub(r'\(\s+', '(', re.sub(r'\s+', ' ', decl))
            part.entries.append(Entry(NAME.search(decl).group(1), part, decl, doc, 'function'))
            doc = None
            i = j + 1
            continue
        m = MACRO.match(stripped)
        if doc is not None and m:
            params = stripped[len('#define '):stripped.index(')') + 1]
            part.entries.append(Entry(m.group(1), part, '#define ' + params, doc, 'macro'))
        if stripped:
            doc = None
        i += 1
    return part


def read_api(include_dir):
    with open(os.path.join(include_dir, 'bugtrack.h'), encoding='utf-8') as f:
        umbrella = f.read()
    overview = comment_body(umbrella[:umbrella.index('*/') + 2])
    parts = [read_part(os.path.join(include_dir, 'bugtrack', stem + '.h'), stem)
             for stem in INCLUDE.findall(umbrella)]
    return overview, parts


# ---- roff ----

def esc(text):
    """Escape text for roff: backslashes, and a leading dot or quote."""
    text = text.replace('\\', '\\e').replace('-', '\\-')
    return re.sub(r'^([.\'])', r'\\&\1', text)


def inline(text, names):
    """Doxygen markup to roff fonts: @p x italic, @ref x and known names bold."""
    text = esc(text)
    text = re.sub(r'@p\s+(\w+)', r'\\fI\1\\fP', text)
    text = re.sub(r'@ref\s+(\w+)', r'\\fB\1\\fP', text)
    text = re.sub(r'@c\s+(\w+)', r'\\fB\1\\fP', text)

    def known(m):
        if m.group(1) not in names:
            return m.group(0)
        return '\\fB%s\\fP(%s' % (m.group(1), m.group(2))
    return re.sub(r'(?<![\w\\])((?:bt_|TRACK_ERRORS)\w*)\((\)?)', known, text)


def paragraphs(doc, names):
    """The body of a doc comment as roff: paragraphs, "- " lists (their
    continuation lines indented further), and examples (other lines indented
    two spaces or more) kept as they are."""
    out, para = [], []
    in_list = False

    def flush():
        if para:
            out.append(inline(' '.join(para), names))
            para.clear()
    for line in doc.split('\n'):
        indent = len(line) - len(line.lstrip())
        if not line.strip():
            flush()
            out.append('.PP')
            in_list = False
        elif line.lstrip().startswith('- '):
            flush()
            out.append('.IP \\(bu 2')
            para.append(line.strip()[2:])
            in_list = True
        elif in_list and indent >= 2:
            para.append(line.strip())
        elif indent >= 2:
            flush()
            out += ['.PP', '.nf', '.RS 4', esc(line.strip()), '.RE', '.fi', '.PP']
        else:
            if in_list:
                flush()
                out.append('.PP')
                in_list = False
            para.append(line.strip())
    flush()
    # Tidy: no paragraph mark twice, first or last; examples joined.
    text = '\n'.join(out).replace('.RE\n.fi\n.PP\n.PP\n.nf\n.RS 4\n', '')
    text = text.replace('.RE\n.fi\n.PP\n.nf\n.RS 4\n', '')
    tidy = []
    for line in text.split('\n'):
        if line == '.PP' and (not tidy or tidy[-1] in ('.PP', '.IP \\(bu 2')):
            continue
        tidy.append(line)
    while tidy and tidy[-1] == '.PP':
        tidy.pop()
    return tidy


def split_doc(doc):
    """Description, return text and @since of a doc comment."""
    since = ''
    m = re.search(r'@since\s+(\S+?)(?:[.\s]|$)', doc)
    if m:
        since = m.group(1)
        doc = re.sub(r'\s*@since\s+\S+(\s*\([^)]*\))?\.?', '', doc)
    ret = ''
    m = re.search(r'@return\s', doc)
    if m:
        ret, doc = doc[m.end():], doc[:m.start()]
        # A later paragraph after @return belongs to the description.
        if '\n\n' in ret:
            ret, more = ret.split('\n\n', 1)
            doc = doc.rstrip() + '\n\n' + more
    # "@param name text" (continued on lines indented further) is a list item.
    doc = re.sub(r'(?m)^@param\s+(\w+)\s+', r'- @p \1: ', doc)
    return doc.strip(), ret.strip(), since


def summary(entry):
    """The one-line description of the NAME section: the doc's first
    sentence, or for a doc that begins with @return, what it returns."""
    text, ret, _ = split_doc(entry.doc)
    if not text and ret:
        text = 'return ' + ret
    text = re.sub(r'@\w+\s+', '', text.split('\n\n')[0]).replace('\n', ' ')
    text = re.sub(r'\s+', ' ', text)
    m = re.match(r'(.+?[.;])(\s|$)', text)
    line = (m.group(1) if m else text).rstrip('.;:')
    cut = line.find(': ')
    if len(line) > 100 and 0 < cut < 100 and line[:cut].count('"') % 2 == 0 \
            and line[:cut].count('(') == line[:cut].count(')'):
        line = line[:cut]
    if not line or len(line) > 100:
        line = entry.part.title
    return line[0].lower() + line[1:] if line[:2] != line[:2].upper() else line


def header(name, version, title):
    return ['.\\" Generated by doc/gen_man3.py from the public headers; do not edit.',
            '.TH %s 3 "" "libbugtrack %s" "%s"' % (esc(name.upper()), version, title)]


def function_page(entry, parts, names, version):
    doc, ret, since = split_doc(entry.doc)
    lines = header(entry.name, version, 'libbugtrack manual')
    lines += ['.SH NAME', '%s \\- %s' % (esc(entry.name), esc(summary(entry))),
              '.SH SYNOPSIS', '.nf', '.B #include <bugtrack.h>', '.PP']
    lines += [esc(entry.synopsis), '.fi']
    if entry.kind == 'function':
        lines += ['.PP', 'Link with \\fI$(pkg\\-config \\-\\-libs bugtrack)\\fP.']
    lines += ['.SH DESCRIPTION'] + paragraphs(doc, names)
    if ret:
        lines += ['.SH RETURN VALUE'] + paragraphs(ret[0].upper() + ret[1:], names)
    lines += ['.SH VERSIONS',
              'Since libbugtrack %s%s.' % (since or '1.0',
                                          ' (symbol version LIBBUGTRACK_%s)' % (since or '1.0')
                                          if entry.kind == 'function' else
                                          ', a macro in <bugtrack.h>')]
    others = [e.name for e in entry.part.entries if e.name != entry.name]
    lines += ['.SH SEE ALSO', ',\n'.join(['\\fBbugtrack\\fP(3)'] +
                                         ['\\fB%s\\fP(3)' % esc(n) for n in others])]
    return '\n'.join(lines) + '\n'


def overview_page(overview, parts, names, version):
    lines = header('bugtrack', version, 'libbugtrack manual')
    paras = overview.split('\n\n')[1:]  # after "bugtrack.h - public API ..."
    # The paragraphs on threads and processes get a section of their own.
    general = [p for p in paras if not p.startswith(('Threads:', 'Processes:'))]
    threads = [p for p in paras if p.startswith(('Threads:', 'Processes:'))]
    lines += ['.SH NAME', 'bugtrack \\- libbugtrack, C services\' errors as deduplicated '
              'bug tickets with exact counts',
              '.SH SYNOPSIS', '.nf', '.B #include <bugtrack.h>', '.PP',
              'cc ... $(pkg\\-config \\-\\-cflags \\-\\-libs bugtrack)', '.fi',
              '.SH DESCRIPTION'] + paragraphs('\n\n'.join(general), names)
    if threads:
        lines += ['.SH THREADS AND PROCESSES'] + paragraphs('\n\n'.join(threads), names)
    for part in parts:
        if not part.entries and not part.about:
            continue
        lines += ['.SH %s' % esc(part.title.split(':')[0].upper())]
        if part.about:
            lines += paragraphs(part.about, names) + ['.PP']
        for name, value, meaning in part.codes:
            lines += ['.TP', '\\fB%s\\fP (%s)' % (esc(name), esc(value)), inline(meaning, names)]
        if part.codes:
            lines += ['.PP']
        for e in part.entries:
            lines += ['.TP', '\\fB%s\\fP(3)' % esc(e.name), esc(summary(e))]
    lines += ['.SH SEE ALSO', '\\fBbugtrack\\fP(1), and README.md of the source tree']
    return '\n'.join(lines) + '\n'


def main(argv):
    if len(argv) == 3 and argv[1] == '--list':
        _, parts = read_api(argv[2])
        print('bugtrack')
        for part in parts:
            for e in part.entries:
                print(e.name)
        return 0
    if len(argv) != 4:
        print(__doc__.strip().split('\n\n')[1], file=sys.stderr)
        return 2
    outdir, version, include_dir = argv[1:]
    overview, parts = read_api(include_dir)
    names = {e.name for p in parts for e in p.entries}
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, 'bugtrack.3'), 'w', encoding='utf-8') as f:
        f.write(overview_page(overview, parts, names, version))
    for part in parts:
        for e in part.entries:
            with open(os.path.join(outdir, e.name + '.3'), 'w', encoding='utf-8') as f:
                f.write(function_page(e, parts, names, version))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
