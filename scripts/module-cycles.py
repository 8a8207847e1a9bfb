#!/usr/bin/env python3
"""Lists pairs of modules of a crate that import each other.

    scripts/module-cycles.py crates/daemon/src crates/rib/src crates/wire/src

A module's imports are the `crate::NAME` and `super::NAME` paths its files
name outside `#[cfg(test)]` blocks. Checked at each level of the module
tree: top-level modules of the crate, then the submodules of each folder.
Exits 1 when a pair imports each other (the structure rule in
ARCHITECTURE.md: no two modules of a crate depend on each other).
"""
import os
import re
import sys


def strip_tests(text):
    # Drop `#[cfg(test)]` items: from the attribute to the end of the
    # brace block that follows (test modules may import anything).
    out, i = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]", text):
        if m.start() < i:
            continue
        out.append(text[i:m.start()])
        j = text.find("{", m.end())
        semi = text.find(";", m.end())
        if j < 0 or (0 <= semi < j):
            i = semi + 1 if semi >= 0 else len(text)
            continue
        depth = 0
        k = j
        while k < len(text):
            if text[k] == "{":
                depth += 1
            elif text[k] == "}":
                depth -= 1
                if depth == 0:
                    break
            k += 1
        i = k + 1
    out.append(text[i:])
    return "".join(out)


def strip_comments(text):
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def paths(text, root):
    """Every `root::a::b...` path named, brace groups expanded."""
    found = []
    for m in re.finditer(root + r"::", text):
        rest = text[m.end():]
        if rest.startswith("{"):
            depth, k = 0, 0
            while k < len(rest):
                if rest[k] == "{":
                    depth += 1
                elif rest[k] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                k += 1
            inner = rest[1:k]
            # top-level items of the group
            depth, item = 0, ""
            for ch in inner + ",":
                if ch == "{":
                    depth += 1
                elif ch == "}":
                    depth -= 1
                if ch == "," and depth == 0:
                    name = re.match(r"\s*(\w+)", item)
                    if name:
                        found.append(name.group(1).split("::")[0])
                    item = ""
                else:
                    item += ch
        else:
            name = re.match(r"(\w+)", rest)
            if name:
                found.append(name.group(1))
    return found


def module_of(src, path):
    rel = os.path.relpath(path, src)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib", "main"):
        rel = rel[:-1]
    return rel


def check(src):
    files = []
    for dirpath, _, names in os.walk(src):
        for n in names:
            if n.endswith(".rs"):
                files.append(os.path.join(dirpath, n))
    edges = set()
    for f in files:
        mod = module_of(src, f)
        text = strip_tests(strip_comments(open(f, encoding="utf-8").read()))
        for name in paths(text, "crate"):
            edges.add((tuple(mod), (name,)))
        # `super::x` from module a::b::c names a::b::x (or a::b itself)
        parent = mod[:-1] if not f.endswith(("mod.rs", "lib.rs")) else mod[:-1]
        for name in paths(text, "super"):
            edges.add((tuple(mod), tuple(parent) + (name,)))
        # `self::x` / `mod x;` children are not dependencies back
    bad = []
    # At every level: collapse each path to its ancestor right below the
    # common parent and look for pairs that point at each other.
    deps = {}
    for a, b in edges:
        n = 0
        while n < len(a) and n < len(b) and a[n] == b[n]:
            n += 1
        if n >= len(a) or n >= len(b):
            continue  # a module and its own ancestor or descendant
        key = (a[: n + 1], b[: n + 1])
        deps.setdefault(key, []).append((a, b))
    for (a, b), why in sorted(deps.items()):
        if a < b and (b, a) in deps:
            bad.append((a, b, why, deps[(b, a)]))
    return bad


def main():
    failed = False
    for src in sys.argv[1:]:
        for a, b, why, back in check(src):
            failed = True
            fmt = lambda p: "::".join(p) or "crate"
            print(f"{src}: {fmt(a)} <-> {fmt(b)}")
            for x, y in why[:3] + back[:3]:
                print(f"    {fmt(x)} uses {fmt(y)}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
