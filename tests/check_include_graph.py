#!/usr/bin/env python3
"""Fail when modules of lib/ include each other in a circle.

A module is x.c with its x.h (lib/capture/async.c + async.h is the module
capture/async).  Module A depends on B when a file of A has
`#include "b.h"` and b.h is B's header.  Data flows one way, down (STYLE.md:
bt_log -> fingerprint -> landing -> store); a strongly connected component
of more than one module is a circle, which lets a lower layer reach back up.

Quote includes resolve as lib/meson.build makes them: the including file's
folder first, then any folder of lib/ (private headers are included by
name).  A header of no module of lib/ (bugtrack.h, a generated file) is
outside the graph.

Usage: check_include_graph.py LIB_DIR [--print]"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


def modules(lib):
    """{module: [files]} and {header basename: module}."""
    mods, headers = {}, {}
    for folder, _, names in os.walk(lib):
        for name in sorted(names):
            stem, ext = os.path.splitext(name)
            if ext not in ('.c', '.h'):
                continue
            mod = os.path.relpath(os.path.join(folder, stem), lib)
            mods.setdefault(mod, []).append(os.path.join(folder, name))
            if ext == '.h':
                if name in headers:
                    # Included by name from any folder: two headers of one
                    # name make an include ambiguous, so say so.
                    sys.exit(f'{name} is both {headers[name]}.h and {mod}.h')
                headers[name] = mod
    return mods, headers


def graph(lib):
    mods, headers = modules(lib)
    edges = {m: set() for m in mods}
    for mod, files in mods.items():
        for path in files:
            with open(path, encoding='utf-8') as f:
                text = f.read()
            for inc in INCLUDE.findall(text):
                local = os.path.join(os.path.dirname(path), inc)
                if os.path.isfile(local):
                    dep = os.path.relpath(os.path.splitext(local)[0], lib)
                else:
                    dep = headers.get(os.path.basename(inc))
                if dep in mods and dep != mod:
                    edges[mod].add(dep)
    return edges


def tarjan(edges):
    """Strongly connected components, iteratively (no recursion limit)."""
    index, low, on_stack, stack, sccs = {}, {}, set(), [], []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, it = work[-1]
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(edges[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    scc = []
                    while True:
                        m = stack.pop()
                        on_stack.discard(m)
                        scc.append(m)
                        if m == node:
                            break
                    sccs.append(sorted(scc))
    return sccs


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    lib = sys.argv[1]
    edges = graph(lib)
    if not edges:
        sys.exit(f'no module found under {lib}')
    if '--print' in sys.argv[2:]:
        for mod in sorted(edges):
            print(f'{mod} -> {", ".join(sorted(edges[mod])) or "-"}')
    circles = [scc for scc in tarjan(edges) if len(scc) > 1]
    for scc in circles:
        inside = set(scc)
        print(f'include circle: {{{", ".join(scc)}}}', file=sys.stderr)
        for mod in scc:
            for dep in sorted(edges[mod] & inside):
                print(f'  {mod} includes {dep}', file=sys.stderr)
    if circles:
        sys.exit(1)
    print(f'{len(edges)} modules, no include circle')


if __name__ == '__main__':
    main()
