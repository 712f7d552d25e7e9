#!/usr/bin/env python3
"""Check the parts of the umbrella header (issue 14): bugtrack.h includes
every include/bugtrack/*.h, and each part compiles on its own as C99 with
-Wall -Wextra -Werror, so a part always includes the parts it needs.

Usage: check_header_parts.py CC INCLUDE_DIR
"""
import os
import re
import subprocess
import sys
import tempfile


def main(argv):
    if len(argv) != 3:
        print('usage: check_header_parts.py CC INCLUDE_DIR', file=sys.stderr)
        return 2
    cc, inc = argv[1], argv[2]
    parts = sorted(n for n in os.listdir(os.path.join(inc, 'bugtrack')) if n.endswith('.h'))
    umbrella = open(os.path.join(inc, 'bugtrack.h'), encoding='utf-8').read()
    included = set(re.findall(r'#include "bugtrack/([\w.]+)"', umbrella))
    errors = ['bugtrack.h does not include bugtrack/%s' % p for p in parts if p not in included]
    errors += ['bugtrack.h includes bugtrack/%s, which does not exist' % p
               for p in sorted(included - set(parts))]
    with tempfile.TemporaryDirectory() as tmp:
        for part in parts:
            src = os.path.join(tmp, 'part.c')
            with open(src, 'w') as f:
                f.write('#include <bugtrack/%s>\nint main(void) { return 0; }\n' % part)
            r = subprocess.run([cc, '-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic',
                                '-fsyntax-only', '-I', inc, src],
                               capture_output=True, text=True)
            if r.returncode != 0:
                errors.append('bugtrack/%s does not compile alone:\n%s' % (part, r.stderr))
    for e in errors:
        print(e)
    if errors:
        return 1
    print('bugtrack.h includes all %d parts, and each compiles alone' % len(parts))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
