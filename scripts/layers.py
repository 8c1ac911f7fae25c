#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""layers.py - check that the module's files call each other only downward.

Usage: scripts/layers.py [TOP]      (run by scripts/check.sh; exit 1 on a
                                     violation, printing each one)

The layers, top to bottom, as include/af_toy.h and docs/architecture.md
draw them.  A file may call (or name a variable of) a file in a lower
layer.  Within the stream files any call is allowed: they are split by
context, as TCP's are, not layered.  The one call allowed upward is the
receive dispatch in toy_proto.c: toy_dgram_rcv() and toy_stream_rcv().
Every .c file at the top of the tree must be in a layer, so a new file
cannot escape the check.

"Calls" are found textually: each non-static function or variable
defined at file scope, and every other file that names it outside
comments.
"""
import glob
import os
import re
import sys

LAYERS = [
    ["af_toy.c"],
    ["toy_proc.c"],
    ["toy_dgram.c", "toy_stream*.c"],
    ["toy_port.c"],
    ["toy_proto.c"],
    ["toy_neigh.c"],
    ["toy_skb.c"],
    ["toy_link.c"],
    ["toy_netdev.c"],
]
UPCALLS = {("toy_proto.c", "toy_dgram_rcv"), ("toy_proto.c", "toy_stream_rcv")}


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    return re.sub(r'"(\\.|[^"\\])*"', '""', text)


def rank_of(name):
    for rank, patterns in enumerate(LAYERS):
        for pat in patterns:
            if glob.fnmatch.fnmatch(name, pat):
                return rank
    return None


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    os.chdir(top)
    # Not af_toy.mod.c, which a build at the top of the tree leaves.
    files = sorted(f for f in glob.glob("*.c") if not f.endswith(".mod.c"))
    src = {f: strip_comments(open(f).read()) for f in files}
    errors = []

    for f in files:
        if rank_of(f) is None:
            errors.append(f"{f}: in no layer (add it to LAYERS in {sys.argv[0]})")

    defined = {}
    for f in files:
        for m in re.finditer(r"^(?!static\b)[a-z][\w \*]*?\b(\w+)\(", src[f], re.M):
            defined.setdefault(m.group(1), f)
        for m in re.finditer(r"^(?!static\b)(?:const )?struct \w+ (?:__\w+ )?\*?(\w+)(?:\[\w*\])?(?: __\w+)? =",
                             src[f], re.M):
            defined.setdefault(m.group(1), f)

    for caller in files:
        for name, callee in defined.items():
            if callee == caller or not re.search(r"\b" + name + r"\b", src[caller]):
                continue
            rc, re_ = rank_of(caller), rank_of(callee)
            if rc is None or re_ is None:
                continue
            both_stream = caller.startswith("toy_stream") and callee.startswith("toy_stream")
            if re_ > rc or both_stream or (caller, name) in UPCALLS:
                continue
            how = "a sibling" if re_ == rc else "a higher layer"
            errors.append(f"{caller} calls {name}() in {callee}, {how}")

    for f in files:
        if '#include "toy_stream.h"' in open(f).read() and \
                not (f.startswith("toy_stream") or f == "toy_proc.c"):
            errors.append(f"{f} includes toy_stream.h, which is the stream files' own")

    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
