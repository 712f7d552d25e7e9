#!/usr/bin/env python3
"""Check that every BT_EXTERN declaration of the public header has its own
doc comment (issue 14).

A declaration is documented when a Doxygen comment, opened with "/**" (or
"/**<"), ends on the line directly above the declaration's first line.  A
comment that holds nothing but grouping commands ("@{", "@}", "@name ...")
is a group marker, not a declaration's doc, and does not count.

Usage: check_header_docs.py HEADER_OR_DIR...
A directory stands for the *.h files in it (include/bugtrack holds the parts
of the umbrella include/bugtrack.h).
Exits 1, listing the undocumented declarations, when there are any.
"""
import os
import re
import sys

DECL = re.compile(r'^\s*BT_EXTERN\b')
NAME = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*\(')


def doc_comment_above(lines, i):
    """The text of the doc comment ending on line i - 1, or None."""
    j = i - 1
    if j < 0 or not lines[j].rstrip().endswith('*/'):
        return None
    # Walk up to the line that opens the comment.
    end = j
    while j >= 0:
        head = lines[j][:lines[j].rfind('*/')] if j == end else lines[j]
        k = head.rfind('/*')
        if k >= 0:
            text = '\n'.join([lines[j][k:]] + lines[j + 1:end + 1])
            if not (text.startswith('/**') and not text.startswith('/***')):
                return None
            return text
        j -= 1
    return None


def is_group_marker(text):
    body = re.sub(r'^/\*\*<?|\*/$', '', text.strip())
    body = re.sub(r'(?m)^\s*\*', '', body)
    if re.match(r'\s*@name\b', body):
        return True
    body = body.replace('@{', '').replace('@}', '')
    return not body.strip()


def check(path):
    """Print and return (declarations, undocumented) of one header."""
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    missing = []
    count = 0
    for i, line in enumerate(lines):
        if not DECL.match(line):
            continue
        count += 1
        decl = ' '.join(l.strip() for l in lines[i:i + 4])
        m = NAME.search(decl)
        name = m.group(1) if m else line.strip()
        doc = doc_comment_above(lines, i)
        if doc is None or is_group_marker(doc):
            missing.append((i + 1, name))
    for lineno, name in missing:
        print('  %s:%d: %s has no /** ... */ comment directly above it'
              % (path, lineno, name))
    return count, len(missing)


def main(argv):
    if len(argv) < 2:
        print('usage: check_header_docs.py HEADER_OR_DIR...', file=sys.stderr)
        return 2
    paths = []
    for arg in argv[1:]:
        if os.path.isdir(arg):
            paths += sorted(os.path.join(arg, n) for n in os.listdir(arg)
                            if n.endswith('.h'))
        else:
            paths.append(arg)
    total = undocumented = 0
    for path in paths:
        count, missing = check(path)
        total += count
        undocumented += missing
    if total == 0:
        print('no BT_EXTERN declaration found in %s' % ' '.join(paths))
        return 1
    if undocumented:
        print('%d of %d BT_EXTERN declarations are undocumented' % (undocumented, total))
        return 1
    print('all %d BT_EXTERN declarations in %d headers are documented' % (total, len(paths)))
    return 0

if __name__ == '__main__':
    sys.exit(main(sys.argv))
