#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""path-graph.py - draw a runtime path (a call tree traced by function_graph,
docs/diagrams/path-*.txt) as a graphviz graph.

Usage: scripts/path-graph.py PATH.txt TITLE >PATH.dot

The input is what scripts/guest/path-trace.sh prints: "name() {" opens a
call, "name();" is a call with no traced callee, "}" closes one; lines
starting with "#" are comments.  Every call is a node, left to right from
caller to callee, its edge numbered in the order of the caller's calls.
AF_TOY's functions are boxes coloured by their layer (the file that
defines them, in scripts/layers.py's order, top to bottom); the kernel's
are grey ellipses.  The user program is the root.
"""
import glob
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from layers import LAYERS, rank_of  # noqa: E402

# One fill colour per layer of LAYERS, top (socket) to bottom (device).
COLOURS = ["#a6cee3", "#cab2d6", "#b2df8a", "#fdbf6f", "#fb9a99",
           "#ffff99", "#e5d8bd", "#ccebc5", "#fddaec"]
CALL = re.compile(r"^( *)([A-Za-z_][\w.]*)\(\)( \{|;)$")


def definitions(top):
    """Map each function defined in the module's top-level .c files to its
    file: a definition is a line in column 0 naming the function."""
    where = {}
    for f in sorted(glob.glob(os.path.join(top, "*.c"))):
        name = os.path.basename(f)
        if name.endswith(".mod.c"):
            continue
        with open(f) as src:
            for line in src:
                m = re.match(r"^[a-z_][\w \*]*?\b(\w+)\(", line)
                if m and not line.rstrip().endswith(";"):
                    where.setdefault(m.group(1), name)
    return where


def parse(lines):
    """The call tree: a list of (name, children) for the top-level calls."""
    root = ("", [])
    stack = [root]
    for n, line in enumerate(lines, 1):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        m = CALL.match(line)
        if m:
            node = (m.group(2), [])
            stack[-1][1].append(node)
            if m.group(3) == " {":
                stack.append(node)
        elif line.strip() == "}" and len(stack) > 1:
            stack.pop()
        else:
            sys.exit(f"path-graph.py: line {n}: not a call tree line: {line!r}")
    return root[1]


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: path-graph.py PATH.txt TITLE")
    top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    where = definitions(top)
    with open(sys.argv[1]) as f:
        calls = parse(f)

    out = ["digraph path {",
           f'  label="{sys.argv[2]}\\n(drawn from {os.path.basename(sys.argv[1])}: '
           'scripts/guest/path-trace.sh, function_graph)";',
           "  labelloc=t; rankdir=LR; nodesep=0.1; ranksep=0.3;",
           '  node [fontname="monospace" fontsize=10 height=0.2];',
           "  edge [fontsize=8 arrowsize=0.5];",
           '  n0 [label="tests/toy_path\\n(user space)" shape=house];']
    # the layers' legend, one node each, in a row
    legend = []
    for rank, files in enumerate(LAYERS):
        legend.append(f'  l{rank} [label="{" ".join(files)}" shape=box '
                      f'style=filled fillcolor="{COLOURS[rank]}"];')
    legend.append('  lk [label="kernel" shape=ellipse style=filled '
                  'fillcolor="#dddddd"];')
    out.append("  subgraph cluster_legend {")
    out.append('    label="layers (scripts/layers.py), top to bottom"; '
               "fontsize=10;")
    out += ["  " + line for line in legend]
    out.append("    " + " -> ".join([f"l{r}" for r in range(len(LAYERS))] +
                                    ["lk"]) + " [style=invis];")
    out.append("  }")

    count = 0

    def draw(parent, calls):
        nonlocal count
        for order, (name, children) in enumerate(calls, 1):
            count += 1
            me = f"n{count}"
            f = where.get(name)
            if f and rank_of(f) is not None:
                out.append(f'  {me} [label="{name}\\n{f}" shape=box '
                           f'style=filled fillcolor="{COLOURS[rank_of(f)]}"];')
            else:
                out.append(f'  {me} [label="{name}" shape=ellipse '
                           'style=filled fillcolor="#dddddd"];')
            out.append(f'  {parent} -> {me} [label="{order}"];')
            draw(me, children)

    draw("n0", calls)
    out.append("}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
