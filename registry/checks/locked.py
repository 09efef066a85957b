"""Locked fields of a fork: every field its upstream marks ``x-yoshiki-locked`` must be kept.

Used by ``yoshiki ci`` (``registry/checks/repository.py``) and by the registry's publish of a
fork (``registry/service.py``): the fields' subschemas are compared with their ``$ref``s
resolved, both directions by the diff engine, and a locked field upstream requires stays
required. Pure: no web, SQL or git.
"""

from __future__ import annotations

from typing import Any

from registry.checks.compatibility import change_text
from registry.checks.tree import Tree, position
from registry.errors import RegistryError
from registry.models import Issue
from registry.syntax import pointers
from registry.syntax.refs import Resolver, SchemaSet

_MAX_INLINE_DEPTH = 32


def _issue(rule: str, en: str, ja: str, file: str, *, pointer: str = "", line: int | None = None,
           column: int | None = None, hint: str | None = None, hint_ja: str | None = None) -> Issue:
    return Issue(rule=rule, message=en, message_ja=ja, file=file, pointer=pointer, line=line,
                 column=column, hint=hint, hint_ja=hint_ja)



_ANNOTATIONS = ("title", "description", "examples", "default", "$comment", "deprecated")


def _inline(node: Any, base: str, resolver: Resolver, depth: int = 0,
            active: frozenset[str] = frozenset()) -> Any:
    """``node`` with every ``$ref`` replaced by its target (recursion and depth bounded).

    A target's keywords are merged into the referring node (siblings win for annotations, such as
    a renaming ``title``); conflicting assertions keep both, the target under ``allOf``.
    """
    if depth > _MAX_INLINE_DEPTH:
        return node
    if isinstance(node, list):
        return [_inline(v, base, resolver, depth + 1, active) for v in node]
    if not isinstance(node, dict):
        return node
    base = Resolver.base_of(base, node)
    out: dict[str, Any] = {}
    target: Any = None
    for k, v in node.items():
        if k in ("$id", "$schema", "$anchor", "$comment", "$defs"):
            continue
        if k == "$ref" and isinstance(v, str):
            key = f"{base}|{v}"
            try:
                t_base, t = resolver.resolve(base, v)
            except RegistryError:
                out[k] = v
                continue
            if key in active:
                out[k] = v
                continue
            target = _inline(t, t_base, resolver, depth + 1, active | {key})
            continue
        if k in ("const", "enum", "default", "examples"):
            out[k] = v
        else:
            out[k] = _inline(v, base, resolver, depth + 1, active)
    if isinstance(target, dict):
        clash = [k for k, v in target.items()
                 if k in out and out[k] != v and k not in _ANNOTATIONS and not k.startswith("x-yoshiki")]
        if clash:
            out["allOf"] = [*out.get("allOf", []), target]
        else:
            out = {**target, **out}
    elif target is not None:
        out["allOf"] = [*out.get("allOf", []), target]
    return out


def locked_pointers(schema: Any) -> list[str]:
    """JSON pointers of every subschema marked ``x-yoshiki-locked: true``."""
    found: list[str] = []

    def walk(node: Any, path: list[str | int]) -> None:
        if isinstance(node, dict):
            if node.get("x-yoshiki-locked") is True:
                found.append(pointers.join(path))
            for k, v in node.items():
                if k not in ("const", "enum", "examples", "default"):
                    walk(v, [*path, k])
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, [*path, i])

    walk(schema, [])
    return found


def _required_at(schema: Any, ptr: str) -> list[Any]:
    try:
        node = pointers.resolve(schema, ptr)
    except (KeyError, IndexError, ValueError):
        return []
    req = node.get("required") if isinstance(node, dict) else None
    return req if isinstance(req, list) else []


def _field_name(node: Any, ptr: str) -> tuple[str, str]:
    title = node.get("title") if isinstance(node, dict) else None
    return (f"{title!r} ({ptr})", f"「{title}」({ptr})") if isinstance(title, str) else (ptr, ptr)


def locked_field_issues(upstream: Any, fork: Any, upstream_name: str, fork_file: str, head: Tree, *,
                        upstream_schemas: SchemaSet, fork_schemas: SchemaSet, policy: Any = None) -> list[Issue]:
    """Each field ``upstream`` marks ``x-yoshiki-locked`` must exist in ``fork`` and validate the same.

    The subschemas are compared with their ``$ref``s resolved (a fork may move a field's definition
    into ``$defs`` or a common file) by the diff engine: both directions must be compatible.
    """
    from registry.diff import diff

    issues: list[Issue] = []
    up_res = Resolver(upstream, upstream_schemas)
    fork_res = Resolver(fork, fork_schemas)
    for ptr in locked_pointers(upstream):
        up_node = pointers.resolve(upstream, ptr)
        name_en, name_ja = _field_name(up_node, ptr)
        try:
            fork_node = pointers.resolve(fork, ptr)
        except (KeyError, IndexError, ValueError):
            line, col = position(head, fork_file, ptr)
            issues.append(_issue(
                "ci.locked-field",
                f"The field {name_en} is locked (x-yoshiki-locked) by {upstream_name}; the fork dropped it.",
                f"項目 {name_ja} は {upstream_name} で固定 (x-yoshiki-locked) されています。フォークで削除することはできません。",
                fork_file, pointer=ptr, line=line, column=col,
                hint="Restore the field exactly as the upstream defines it.",
                hint_ja="フォーク元と同じ定義で項目を戻してください。"))
            continue
        up_sub = _inline(up_node, up_res.root_uri, up_res)
        fork_sub = _inline(fork_node, fork_res.root_uri, fork_res)
        try:
            d = diff(up_sub, fork_sub, policy, mode="FULL")
        except RegistryError:
            continue  # an invalid schema: validation reports it
        changed = [c for c in d.changes if c.backward != "compatible" or c.forward != "compatible"]
        line, col = position(head, fork_file, ptr)
        if changed:
            first_en, first_ja = change_text(changed[0])
            issues.append(_issue(
                "ci.locked-field",
                f"The field {name_en} is locked (x-yoshiki-locked) by {upstream_name}; the fork changes how it validates: {first_en}",
                f"項目 {name_ja} は {upstream_name} で固定 (x-yoshiki-locked) されています。フォークで検証内容が変わっています: {first_ja}",
                fork_file, pointer=ptr, line=line, column=col,
                hint="Only title and description may differ; use the upstream's definition of this field.",
                hint_ja="変更できるのは表示名と説明だけです。この項目はフォーク元の定義のまま使ってください。"))
            continue
        tokens = pointers.split(ptr)
        if len(tokens) >= 2 and tokens[-2] == "properties":
            parent, name = pointers.join(tokens[:-2]), tokens[-1]
            if name in _required_at(upstream, parent) and name not in _required_at(fork, parent):
                issues.append(_issue(
                    "ci.locked-field",
                    f"The field {name_en} is locked and required by {upstream_name}; the fork must keep it required.",
                    f"項目 {name_ja} は {upstream_name} で固定 (x-yoshiki-locked) され、必須です。フォークでも必須のままにしてください。",
                    fork_file, pointer=ptr, line=line, column=col,
                    hint=f"Add {name!r} back to required.", hint_ja=f"required に {name!r} を戻してください。"))
    return issues
