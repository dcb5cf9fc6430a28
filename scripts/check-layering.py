#!/usr/bin/env python3
"""Lists the references between the source folders of each module and fails on a circle.

A folder refers to another when one of its files names a type, protocol, function or
extension member declared in the other (comments and string literals are left out). Within a
module Swift does not see folders, so this script is what keeps them layered: a folder may only
use folders below it (docs/architecture.md draws the layers).

    scripts/check-layering.py            the folders of every module under Sources/, then the verdict
    scripts/check-layering.py --quiet    the verdict only (what make test runs)

Exit status 1 when two folders of one module refer to each other, directly or through others.
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources")

DECLARATION = re.compile(
    r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*"
    r"(?:(?:public|internal|fileprivate|private|package|open|final|indirect|nonisolated|static|"
    r"mutating|nonmutating|override|convenience|required|lazy|weak|unowned)\s+)*"
    r"(struct|class|enum|actor|protocol|typealias|func|var|let)\s+`?([A-Za-z_][A-Za-z0-9_]*)"
)
EXTENSION = re.compile(r"^\s*(?:(?:public|internal|fileprivate|private|package)\s+)?extension\s")
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# `receiver.name`: an implicit member (`.name` after a space, `(` or `[`) is an enum case or a
# static member of the type the context expects, not an extension member of another folder.
MEMBER = re.compile(r"(?<=[A-Za-z0-9_)\]?!])\.([A-Za-z_][A-Za-z0-9_]*)")
# Names too common to say anything about a reference (members every type has or may have).
COMMON = {
    "init", "description", "id", "name", "value", "rawValue", "run", "start", "stop", "now", "sleep",
    "kind", "message", "error", "result", "count", "entry", "entries", "path", "url", "line",
    "column", "text", "body", "status", "state", "key", "keys", "date", "at", "main", "next",
    "make", "open", "close", "load", "save", "perform", "parse", "check", "record", "records",
    "instanceID", "slot", "slotAt", "alert", "encode", "decode", "hash", "shutdown", "logger",
    "clock", "observer", "settings", "store", "config", "schedule", "events", "event", "fields",
}


def strip(source: str) -> str:
    """The code without comments and string literals (kept line for line)."""
    out = []
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if source.startswith("//", i):
            j = source.find("\n", i)
            i = n if j < 0 else j
        elif source.startswith("/*", i):
            j = source.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * source.count("\n", i, j))
            i = j
        elif source.startswith('"""', i):
            j = source.find('"""', i + 3)
            j = n if j < 0 else j + 3
            out.append('""' + "\n" * source.count("\n", i, j))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and source[j] != '"' and source[j] != "\n":
                j += 2 if source[j] == "\\" else 1
            out.append('""')
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def folder_of(module_dir: str, path: str) -> str:
    rel = os.path.relpath(path, module_dir)
    parts = rel.split(os.sep)
    return parts[0] if len(parts) > 1 else "."


def module_graph(module_dir: str):
    files = {}
    for dirpath, _, names in os.walk(module_dir):
        for name in names:
            if name.endswith(".swift"):
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8") as f:
                    files[path] = strip(f.read())
    declared = {}  # name -> set of folders declaring it
    extended = {}  # extension members: name -> folders
    member_only = set()  # names that count only after a '.'
    members = {}  # other nested declarations: name -> folders
    for path, code in files.items():
        folder = folder_of(module_dir, path)
        depth = 0
        in_extension = False
        for line in code.split("\n"):
            if depth == 0:
                in_extension = bool(EXTENSION.match(line))
            # What other files can name: top-level declarations, and the members an extension
            # adds to a type (a folder extending another folder's type is a reference that
            # the type's name alone would hide). A type's own members come with its name.
            m = DECLARATION.match(line)
            if m and m.group(2) not in COMMON:
                if depth == 0:
                    declared.setdefault(m.group(2), set()).add(folder)
                elif depth == 1 and in_extension and m.group(1) != "let":
                    extended.setdefault(m.group(2), set()).add(folder)
                else:
                    members.setdefault(m.group(2), set()).add(folder)
            depth += line.count("{") - line.count("}")
    # An extension's member counts unless another folder declares a member of the same name
    # (then a use of the name says nothing about which one is meant).
    # It is named as a member (`.name`), never bare: a bare word of the same spelling is a
    # parameter or a local.
    for name, folders in extended.items():
        if not (members.get(name, set()) - folders) and name not in declared:
            declared.setdefault(name, set()).update(folders)
            member_only.add(name)
    # A name declared in more than one folder says nothing about which one is meant.
    owner = {name: next(iter(fs)) for name, fs in declared.items() if len(fs) == 1}
    edges = {}  # (from, to) -> sorted example names
    for path, code in files.items():
        folder = folder_of(module_dir, path)
        words = set(IDENTIFIER.findall(code))
        dotted = set(MEMBER.findall(code))
        for word in words:
            target = owner.get(word)
            if target and target != folder and (word not in member_only or word in dotted):
                edges.setdefault((folder, target), set()).add(word)
    return edges


def circles(edges):
    graph = {}
    for a, b in edges:
        graph.setdefault(a, set()).add(b)
        graph.setdefault(b, set())
    # Tarjan's strongly connected components: every component of more than one folder is a circle.
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main() -> int:
    quiet = "--quiet" in sys.argv[1:]
    failed = False
    for module in sorted(os.listdir(ROOT)):
        module_dir = os.path.join(ROOT, module)
        if not os.path.isdir(module_dir):
            continue
        edges = module_graph(module_dir)
        if not edges:
            continue
        if not quiet:
            print(f"{module}:")
            for (a, b), names in sorted(edges.items()):
                shown = ", ".join(sorted(names)[:4]) + (", ..." if len(names) > 4 else "")
                print(f"  {a} -> {b}  ({shown})")
        for component in circles(edges):
            failed = True
            print(f"check-layering: circle in {module}: {' <-> '.join(component)}", file=sys.stderr)
            for (a, b), names in sorted(edges.items()):
                if a in component and b in component:
                    print(f"  {a} -> {b}: {', '.join(sorted(names))}", file=sys.stderr)
    if not failed and not quiet:
        print("check-layering: no circles between folders")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
