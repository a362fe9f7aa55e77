"""Stage code: notebook cells merged into one module that reads top to bottom as the agent's code.

Both the reference stages (`course export`, autograder.authoring.export) and a learner's own carried-forward
agent (`course carry`, course.grading.carry) are made here, so the two are built the same way:

    module_source(blocks, header, starts_from="stage_03", inherited=names)   -> the module's text

A stage module is what its lesson's notebook is: `from stage_03 import *` (the previous stage, as the
notebook imports it), then the lesson's own cells tagged `export`. So stage_04 holds lesson 04's code
only, and a function of stage_03 keeps calling stage_03's helpers, exactly as in notebook 04.

Every name is defined once, in its final form: when a later block redefines a name, the earlier
version is dropped and the final one stands with its own block's code, unless code in between reads
the name as the module loads (a default value, a list built from it); then the final version takes
the first one's place. Repeated imports are kept once, `from __future__` imports are hoisted, and
`__all__` lists every public name (imported ones included, so `from stage_NN import *` gives a
lesson everything the previous one had).
"""

from __future__ import annotations

import ast
import builtins
import re
from dataclasses import dataclass

__all__ = ["MARKER", "export_cells_of", "exported_names", "module_source"]

MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", flags=re.M)
_FUTURE = re.compile(r"^from __future__ import [^\n]+\n?", flags=re.M)


def export_cells_of(nb: object, slug: str) -> list[tuple[str, str]]:
    """(origin, code) of each code cell of a notebook tagged `export`, solution markers removed."""
    out = []
    for index, cell in enumerate(getattr(nb, "cells", [])):
        if cell.cell_type == "code" and "export" in cell.metadata.get("tags", []):
            label = cell.metadata.get("nbgrader", {}).get("grade_id") or f"cell {index}"
            out.append((f"{slug} · {label}", MARKER.sub("", cell.source).strip("\n")))
    return out


@dataclass
class _Statement:
    names: tuple[str, ...]  # what it binds at module level
    needs: frozenset[str]   # the module-level names it reads when it runs (not inside function bodies)
    kind: str               # "def" (function or class), "import", "value" or "other"
    code: str
    origin: str             # "lesson-slug · cell label", for the section comment
    blank_lines: int = 0    # blank lines above it in its cell, kept when it follows its neighbour there


def _bound(node: ast.stmt) -> tuple[tuple[str, ...], str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return (node.name,), "def"
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return tuple((alias.asname or alias.name).split(".")[0] for alias in node.names), "import"
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
    names = tuple(t.id for t in targets if isinstance(t, ast.Name))
    return names, ("value" if names else "other")


def _needs(node: ast.AST) -> frozenset[str]:
    """Names read when the statement runs: a function's decorators, defaults and annotations, a class's body."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        arguments = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs, node.args.vararg, node.args.kwarg]
        roots: list[ast.AST] = [*node.decorator_list, *node.args.defaults, *(d for d in node.args.kw_defaults if d),
                                *(a.annotation for a in arguments if a is not None and a.annotation is not None),
                                *([node.returns] if node.returns else [])]
    elif isinstance(node, ast.Lambda):
        roots = [*node.args.defaults]
    else:
        roots = [node]
    found: set[str] = set()
    stack = list(roots)
    while stack:
        item = stack.pop()
        if isinstance(item, ast.Name) and isinstance(item.ctx, ast.Load):
            found.add(item.id)
        for child in ast.iter_child_nodes(item):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                found |= _needs(child)
            else:
                stack.append(child)
    return frozenset(found)


def _statements(code: str, origin: str) -> list[_Statement]:
    lines = code.splitlines(keepends=True)
    tree = ast.parse(code)
    out = []
    for i, node in enumerate(tree.body):
        start = 0 if i == 0 else min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))]) - 1
        while start > 0 and lines[start - 1].lstrip().startswith("#"):
            start -= 1  # the comments just above a statement belong to it
        end = len(lines)
        if i + 1 < len(tree.body):
            nxt = tree.body[i + 1]
            end = min([nxt.lineno, *(d.lineno for d in getattr(nxt, "decorator_list", []))]) - 1
            while end > node.end_lineno and lines[end - 1].lstrip().startswith("#"):
                end -= 1
        names, kind = _bound(node)
        above = 0
        while start - above > 0 and not lines[start - above - 1].strip():
            above += 1
        out.append(_Statement(names, _needs(node), kind, "".join(lines[start:end]).strip("\n"), origin, above))
    return out


_BUILTINS = frozenset(dir(builtins))


def _merged(blocks: list[tuple[str, str]]) -> tuple[list[str], list[_Statement]]:
    """The futures and the statements of every block, each name bound once (see the module docstring)."""
    futures: list[str] = []
    merged: list[_Statement | None] = []
    for origin, code in blocks:
        futures += [line.strip() for line in _FUTURE.findall(code) if line.strip() not in futures]
        for statement in _statements(_FUTURE.sub("", code), origin):
            bound = {name for s in merged if s is not None for name in s.names}
            if statement.kind == "import":
                if set(statement.names) <= bound:
                    continue  # imported already
                merged.append(statement)
                continue
            earlier = [i for i, s in enumerate(merged) if s is not None and set(s.names) & set(statement.names)]
            if earlier:
                first = earlier[0]
                used_since = any(s is not None and s.needs & set(statement.names) for s in merged[first + 1:])
                before = {name for s in merged[:first] if s is not None for name in s.names}
                if used_since and statement.needs <= before | _BUILTINS | set(statement.names):
                    merged[first] = statement  # code in between uses it as the module loads: keep its place
                    for i in earlier[1:]:
                        merged[i] = None
                    continue
                for i in earlier:
                    merged[i] = None  # superseded: the final version stands with its own block
            merged.append(statement)
    return futures, [s for s in merged if s is not None]


def module_source(blocks: list[tuple[str, str]], header: str, *, starts_from: str = "",
                  inherited: tuple[str, ...] = ()) -> str:
    """The text of a module made of `blocks`, with `header` as its docstring (see the module docstring).

    `starts_from` names the module it builds on (`stage_03`), imported first with `*`, as the lesson's
    notebook does; `inherited` is that module's `__all__`, which this one's `__all__` carries on.
    """
    futures, statements = _merged(blocks)
    own = {name for s in statements for name in s.names if not name.startswith("_") and name != "__all__"}
    public = sorted(own | set(inherited))
    parts = [f'"""{header.strip()}\n"""\n']
    if futures:
        parts.append("\n".join(futures) + "\n")
    if starts_from:
        parts.append(f"from {starts_from} import *  # noqa: F403 - the agent as the previous lesson left it\n")
    origin, previous = None, ""
    for statement in statements:
        if "__all__" in statement.names:
            continue
        if statement.origin != origin:
            parts.append(f"# %% {statement.origin}\n{statement.code}\n")
            origin = statement.origin
        else:  # the same cell: its own spacing, and two blank lines around a definition (PEP 8)
            blank = max(statement.blank_lines, 2 if "def" in (statement.kind, previous) else 0)
            parts[-1] = parts[-1].rstrip("\n") + "\n" * (blank + 1) + statement.code + "\n"
        previous = statement.kind
    parts.append("__all__ = [\n" + "".join(f'    "{name}",\n' for name in public) + "]\n")
    return "\n\n".join(parts)


def exported_names(text: str) -> tuple[str, ...]:
    """The names in a generated module's `__all__` (read from its text, without importing it)."""
    for node in ast.parse(text).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            value = ast.literal_eval(node.value)
            return tuple(str(name) for name in value)
    return ()
