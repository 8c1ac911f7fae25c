#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ops-map.py - which function fills each slot of AF_TOY's operation tables.

The kernel calls into the module through tables of function pointers:
struct net_proto_family (socket()), struct proto_ops (the socket calls),
struct proto (the protocol), struct net_device_ops (the devices) and
struct packet_type (received frames).  This reads the answer out of the
built module itself, not out of the sources:

  - the tables: every "struct TYPE NAME =" definition of those types in
    the module's .c files;
  - each slot's offset in its struct: pahole, from the module's DWARF;
  - what is stored at that offset: the ELF relocation that fills it when
    the module is loaded (readelf -r), resolved to a function name
    through the symbol table (readelf -s).

Usage: scripts/ops-map.py [--dot] MODULE.ko
  Text: one block per table, "  slot = function", slots in struct order.
  --dot: a graphviz graph of the same (tables -> functions).
"""
import os
import re
import subprocess
import sys

TYPES = ("net_proto_family", "proto_ops", "proto", "net_device_ops",
         "packet_type", "rtnl_link_ops", "pernet_operations")
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True,
                          text=True).stdout


def tables():
    """[(name, type, file)] from the module's sources, in file order."""
    pat = re.compile(r"^(?:TOY_VISIBLE_IF_KUNIT\s+)?(?:static\s+)?"
                     r"(?:const\s+)?struct\s+(" +
                     "|".join(TYPES) + r")\s+(\w+)(?:\s+__\w+)*\s*=")
    found = []
    for f in sorted(os.listdir(TOP)):
        if not f.endswith(".c") or f.endswith(".mod.c"):
            continue
        with open(os.path.join(TOP, f)) as src:
            for line in src:
                m = pat.match(line)
                if m:
                    found.append((m.group(2), m.group(1), f))
    return found


def slots(ko, typ):
    """{offset: member} of the function-pointer members of struct typ."""
    out = run("pahole", "-C", typ, ko)
    res = {}
    for line in out.splitlines():
        m = re.search(r"\(\*\s*(\w+)\)\s*\(.*;\s*/\*\s*(\d+)\s+\d+\s*\*/", line)
        if m:
            res[int(m.group(2))] = m.group(1)
            continue
        m = re.search(r"\s(\w+);\s*/\*\s*(\d+)\s+8\s*\*/", line)
        if m and "*" in line.split("/*")[0]:
            res.setdefault(int(m.group(2)), m.group(1))
    return res


def elf(ko):
    """Sections by index and name, symbols, and relocations per section."""
    secs = {}
    for line in run("readelf", "-SW", ko).splitlines():
        m = re.match(r"\s*\[\s*(\d+)\]\s+(\S+)", line)
        if m:
            secs[int(m.group(1))] = m.group(2)
    syms = []
    for line in run("readelf", "-sW", ko).splitlines():
        p = line.split()
        if len(p) >= 8 and p[0].endswith(":") and p[6].isdigit():
            syms.append((p[7], int(p[1], 16), int(p[2], 0) if p[2].isdigit()
                         else 0, p[3], int(p[6])))
    relas = {}
    cur = None
    for line in run("readelf", "-rW", ko).splitlines():
        m = re.match(r"Relocation section '\.rela(\S+)'", line)
        if m:
            cur = relas.setdefault(m.group(1), [])
            continue
        p = line.split()
        if cur is not None and len(p) >= 7 and re.fullmatch(r"[0-9a-f]{16}", p[0]):
            cur.append((int(p[0], 16), p[4], int(p[6], 16)))
    return secs, syms, relas


def resolve(name, addend, secs, syms):
    """A relocation's target: a symbol, or section + addend -> function
    (None for data: a string, a variable of the module's own)."""
    if not name.startswith("."):
        return name
    idx = [i for i, s in secs.items() if s == name]
    for sym, value, _size, typ, shndx in syms:
        if typ == "FUNC" and shndx in idx and value == addend:
            return sym
    return None


def build(ko):
    secs, syms, relas = elf(ko)
    where = {s[0]: s for s in syms if s[3] == "OBJECT"}
    result = []
    for name, typ, src in tables():
        if name not in where:
            continue
        _n, value, size, _t, shndx = where[name]
        members = slots(ko, typ)
        filled = {}
        for off, target, addend in relas.get(secs[shndx], []):
            if value <= off < value + size and off - value in members:
                fn = resolve(target, addend, secs, syms)
                if fn:
                    filled[off - value] = fn
        result.append((name, typ, src,
                       [(members[o], filled[o]) for o in sorted(filled)]))
    return result


def text(result):
    for name, typ, src, pairs in result:
        print("%s (struct %s, %s)" % (name, typ, src))
        width = max((len(s) for s, _f in pairs), default=0)
        for slot, fn in pairs:
            print("  %-*s = %s" % (width, slot, fn))
        print()


def dot(result, ours):
    """Tables on the left, functions on the right; the kernel's own
    functions (sock_no_*, datagram_poll...) dashed.  .owner is left out."""
    print("// generated by scripts/ops-map.py --dot; do not edit")
    print("digraph ops {")
    print("  rankdir=LR; node [fontname=\"monospace\" fontsize=10];")
    for fn in sorted({f for r in result for s, f in r[3] if s != "owner"}
                     - ours):
        print('  "%s" [style=dashed label="%s\\n(the kernel\'s)"];' % (fn, fn))
    for name, typ, _src, pairs in result:
        pairs = [(s, f) for s, f in pairs if s != "owner"]
        rows = "".join('<tr><td port="%s" align="left">.%s</td></tr>' % (s, s)
                       for s, _f in pairs)
        print('  %s [shape=plaintext label=<<table border="0" cellborder="1" '
              'cellspacing="0"><tr><td bgcolor="lightgrey"><b>%s</b><br/>'
              'struct %s</td></tr>%s</table>>];' % (name, name, typ, rows))
        for slot, fn in pairs:
            print('  %s:%s -> "%s";' % (name, slot, fn))
    print("}")


def main(argv):
    args = [a for a in argv if a != "--dot"]
    if len(args) != 1 or args[0].startswith("-"):
        sys.stderr.write(__doc__)
        return 2
    result = build(args[0])
    if "--dot" in argv:
        _secs, syms, _relas = elf(args[0])
        dot(result, {sym for sym, _v, _s, typ, shndx in syms
                     if typ == "FUNC" and shndx > 0})
    else:
        text(result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
