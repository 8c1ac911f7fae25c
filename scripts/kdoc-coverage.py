#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Fail if a non-static function in the given C files has no kernel-doc.

The kernel's scripts/kernel-doc checks the comments that exist; this checks
that they exist: every function defined at file scope without "static"
must be preceded by a /** ... */ comment naming it.
"""
import re
import sys

DEF = re.compile(r'^(?!static\b)(?![#/ \t*{}])[A-Za-z_].*?\b([A-Za-z_]\w*)\(')

missing = []
for path in sys.argv[1:]:
    lines = open(path, encoding='utf-8').read().split('\n')
    for i, line in enumerate(lines):
        m = DEF.match(line)
        if not m or line.rstrip().endswith(';'):
            continue
        # a definition: the body's "{" opens at column 0 after the header
        j = i
        while j < len(lines) and not lines[j].startswith('{'):
            if lines[j].rstrip().endswith(';'):
                break
            j += 1
        if j >= len(lines) or not lines[j].startswith('{'):
            continue
        name = m.group(1)
        k = i - 1
        while k >= 0 and lines[k].strip() in ('', 'TOY_VISIBLE_IF_KUNIT'):
            k -= 1
        if k < 0 or not lines[k].strip().endswith('*/'):
            missing.append(f'{path}:{i + 1}: {name}() has no kernel-doc')
            continue
        start = k
        while start >= 0 and not lines[start].lstrip().startswith('/*'):
            start -= 1
        block = '\n'.join(lines[start:k + 1])
        if not lines[start].lstrip().startswith('/**') or \
                not re.search(r'\b' + re.escape(name) + r'\b', block):
            missing.append(f'{path}:{i + 1}: {name}() has no kernel-doc')

for m in missing:
    print(m)
sys.exit(1 if missing else 0)
