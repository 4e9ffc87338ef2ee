#!/usr/bin/env python3
"""The folders of production code include each other in one direction only
(docs/ARCHITECTURE.md): fails naming the cycle if any folder includes a
folder that includes it back, directly or through others."""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "."
edges = {}
for top in ("common", "ctl", "daemon"):
    for folder, _, files in os.walk(os.path.join(root, top)):
        for name in files:
            if not name.endswith((".h", ".cpp")):
                continue
            path = os.path.join(folder, name)
            source = os.path.relpath(folder, root)
            with open(path, encoding="utf-8") as f:
                for m in re.finditer(r'#include "([^"]+)"', f.read()):
                    target = os.path.dirname(m.group(1))
                    if target and target != source:
                        edges.setdefault(source, set()).add(target)

state = {}
def visit(node, path):
    state[node] = "open"
    for nxt in sorted(edges.get(node, ())):
        if state.get(nxt) == "open":
            return path + [node, nxt]
        if nxt not in state:
            found = visit(nxt, path + [node])
            if found:
                return found
    state[node] = "done"
    return None

for node in sorted(edges):
    if node not in state:
        cycle = visit(node, [])
        if cycle:
            start = cycle.index(cycle[-1])
            print("include cycle between folders: " + " -> ".join(cycle[start:]), file=sys.stderr)
            sys.exit(1)
print("no include cycle between %d folders" % len(edges))
