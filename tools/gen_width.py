#!/usr/bin/env python3
"""Print the two range tables of tools/width.c from Python's unicodedata.

wide: East_Asian_Width W or F (which includes every emoji with
Emoji_Presentation=Yes since Unicode 9), plus the blocks whose unassigned
code points default to W (CJK ideographs, planes 2 and 3).  zero: the
nonspacing and enclosing marks (Mn, Me), the format characters (Cf) but
the soft hyphen, and the Hangul medial vowels and final consonants
(U+1160..U+11FF), which join the syllable before them; a mark is zero
width even where East_Asian_Width says W.  Unassigned code
points between two ranges join them, which keeps the tables short.

Run: python3 tools/gen_width.py   (the Unicode version is printed first)
"""
import unicodedata as u

DEFAULT_WIDE = [(0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF),
                (0x20000, 0x2FFFD), (0x30000, 0x3FFFD)]


def default_wide(cp):
    return any(lo <= cp <= hi for lo, hi in DEFAULT_WIDE)


def ranges(pred):
    out, start, last = [], None, None
    for cp in range(0x110000):
        c = chr(cp)
        cat = u.category(c)
        if pred(cp, c, cat):
            if start is None:
                start = cp
            last = cp
        elif cat == "Cn" and start is not None:
            continue
        elif start is not None:
            out.append((start, last))
            start = None
    if start is not None:
        out.append((start, last))
    return out


def is_zero(cp, c, cat):
    return cat in ("Mn", "Me") or (cat == "Cf" and cp != 0xAD) or 0x1160 <= cp <= 0x11FF


def is_wide(cp, c, cat):
    """A mark on a wide character (U+302A, U+3099) is still a mark."""
    return not is_zero(cp, c, cat) and (
        (u.east_asian_width(c) in "WF" and cat != "Cn") or default_wide(cp))


def emit(name, rs):
    print(f"static const struct range {name}[] = {{ /* {len(rs)} ranges */")
    for i in range(0, len(rs), 4):
        print("\t" + " ".join(f"{{ 0x{a:04X}, 0x{b:04X} }}," for a, b in rs[i:i + 4]))
    print("};")


print(f"/* Unicode {u.unidata_version} */")
emit("wide", ranges(is_wide))
emit("zero", ranges(is_zero))
