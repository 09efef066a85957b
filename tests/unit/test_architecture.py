"""The dependency rules of docs/architecture.md, read from the source with ``ast`` (no imports run).

Every ``import`` and ``from ... import`` counts, at module level or inside a function (the code
base imports lazily), except under ``if TYPE_CHECKING:`` (never executed). Each rule is also
checked against a small module that breaks it, so a checker that stopped seeing violations
would fail here too. The runtime purity tests (``sys.modules`` after importing a pure module, in
test_validation, test_lint, test_diff_engine, test_merge, test_repository_check) stay as they are.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The pure core: domain modules and the checks, diff, merge, syntax, submissions and editing packages.
PURE = ("registry.diff", "registry.merge", "registry.checks", "registry.syntax",
        "registry.submissions", "registry.editing", "registry.versioning", "registry.models", "registry.readmodels",
        "registry.layout", "registry.errors", "registry.municipalities")
FRAMEWORKS = ("litestar", "sqlmodel", "sqlalchemy", "alembic", "git", "httpx", "click", "jinja2",
              "uvicorn", "psycopg")
# What the pure core may not reach inside the project either: adapters, web, use-cases, CLI.
OUTER = ("registry.storage", "registry.web", "registry.service", "registry.seeding",
         "registry.wiring", "registry.config", "cli")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(source: str, module: str, *, package: bool = False) -> Iterator[str]:
    """Every module ``module``'s source imports at run time (relative imports resolved;
    ``package``: the source is the package's ``__init__``)."""

    def visit(node: ast.AST) -> Iterator[str]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for sub in child.orelse:
                    yield from visit(sub)
                continue
            if isinstance(child, ast.Import):
                yield from (alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = module.split(".")
                    anchor = parts[: len(parts) - child.level + (1 if package else 0)]
                    base = ".".join([*anchor, base] if base else anchor)
                yield base
                # ``from pkg import mod`` imports pkg.mod when it is a module.
                yield from (f"{base}.{alias.name}" for alias in child.names)
            yield from visit(child)

    yield from visit(ast.parse(source))


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@functools.cache
def _parsed() -> dict[str, frozenset[str]]:
    return {name: frozenset(imps) for name, imps in _scan().items()}


def project_modules() -> dict[str, set[str]]:
    """module → the modules it imports, for every module of registry/ and cli/ (a fresh copy)."""
    return {name: set(imps) for name, imps in _parsed().items()}


def _scan() -> dict[str, set[str]]:
    """module → the modules it imports, for every module of registry/ and cli/."""
    found: dict[str, set[str]] = {}
    for top in ("registry", "cli"):
        for path in (ROOT / top).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = module_name(path)
            found[name] = set(imports_of(path.read_text(encoding="utf-8"), name,
                                         package=path.name == "__init__.py"))
    return found


# ----------------------------------------------------------------------------- the four checkers


def pure_core_violations(graph: dict[str, set[str]]) -> list[str]:
    """A pure module that imports a framework/ORM/git library or an outer layer, directly or not."""
    out = []
    for name in sorted(graph):
        if not _within(name, PURE):
            continue
        seen, stack = {name}, [name]
        while stack:
            current = stack.pop()
            for imp in graph.get(current, ()):
                top = imp.split(".")[0]
                if top in FRAMEWORKS or _within(imp, OUTER):
                    out.append(f"{name} → {current} imports {imp}")
                elif imp in graph and imp not in seen:
                    seen.add(imp)
                    stack.append(imp)
    return out


def web_storage_violations(graph: dict[str, set[str]]) -> list[str]:
    """A web module that imports a storage module (it goes through the service)."""
    return [f"{name} imports {imp}" for name in sorted(graph) if _within(name, ("registry.web",))
            for imp in sorted(graph[name]) if _within(imp, ("registry.storage",))]


def command_violations(graph: dict[str, set[str]]) -> list[str]:
    """A CLI command module that imports another command module (share through cli/ helpers)."""
    out = []
    for name in sorted(graph):
        if not name.startswith("cli.commands.") or name.count(".") != 2:
            continue
        for imp in sorted(graph[name]):
            if imp.startswith("cli.commands.") and imp != name and imp.count(".") >= 2:
                target = ".".join(imp.split(".")[:3])
                if target != name and target in graph:
                    out.append(f"{name} imports {imp}")
    return out


def registry_cli_violations(graph: dict[str, set[str]]) -> list[str]:
    """A registry module that imports from cli (the CLI sits on top of the registry)."""
    return [f"{name} imports {imp}" for name in sorted(graph) if _within(name, ("registry",))
            for imp in sorted(graph[name]) if _within(imp, ("cli",))]


CHECKERS = {
    "pure core imports no framework, ORM, git or outer layer": pure_core_violations,
    "web imports no storage module": web_storage_violations,
    "no CLI command imports another command": command_violations,
    "registry imports nothing from cli": registry_cli_violations,
}


@pytest.mark.parametrize("rule", list(CHECKERS))
def test_the_code_keeps_the_rule(rule: str) -> None:
    assert CHECKERS[rule](project_modules()) == []


# ----------------------------------------------------------------------------- each rule can fail

BROKEN = {
    "pure core imports no framework, ORM, git or outer layer": [
        ("registry.checks.evil", "def f():\n    import litestar\n"),
        ("registry.diff.evil", "from registry.storage.ports import TemplateStore\n"),
        # indirect: pure → helper (not pure) → git
        ("registry.syntax.evil", "from registry.helper import x\n"),
    ],
    "web imports no storage module": [
        ("registry.web.evil", "from registry.storage.sql_index import SqlIndex\n"),
        ("registry.web.api.evil", "def f():\n    import registry.storage.git_store\n"),
    ],
    "no CLI command imports another command": [
        ("cli.commands.evil", "from cli.commands.diff import load\n"),
        ("cli.commands.evil", "def f():\n    from cli.commands import publish\n"),
    ],
    "registry imports nothing from cli": [
        ("registry.evil", "from cli.client import Client\n"),
    ],
}


@pytest.mark.parametrize(("rule", "case"), [(rule, i) for rule, cases in BROKEN.items()
                                             for i in range(len(cases))])
def test_each_rule_fails_when_broken(rule: str, case: int) -> None:
    name, source = BROKEN[rule][case]
    graph = project_modules()
    graph["registry.helper"] = {"git"}
    graph[name] = set(imports_of(source, name))
    assert any(v.startswith(name) for v in CHECKERS[rule](graph)), (rule, source)


def test_type_checking_imports_do_not_count() -> None:
    source = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
              "    from registry.storage.ports import TemplateStore\n")
    assert web_storage_violations({"registry.web.ok": set(imports_of(source, "registry.web.ok"))}) == []


def test_relative_imports_resolve() -> None:
    assert set(imports_of("from .model import Diff\n", "registry.diff", package=True)) >= {"registry.diff.model"}
    assert set(imports_of("from ..storage import ports\n", "registry.web.app")) >= {"registry.storage.ports"}
