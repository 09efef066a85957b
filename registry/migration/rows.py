"""Move one submission from version A to version B by a plan. Pure: no I/O.

Each row ends in exactly one of three states: ``migrated`` (carried as it was), ``changed``
(renamed, mapped, defaulted or with fields moved to the side file) or ``refused`` (not valid
under B, with the reasons in Japanese and English; the original row is kept whole).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from registry.migration.plan import Path, Plan, dotted
from registry.submissions.validator import FormValidator
from registry.submissions.values import ValueReader

_MISSING: Any = object()


@dataclass
class Outcome:
    """What became of one row."""

    status: str  # migrated | changed | refused
    value: Any
    removed: dict[str, Any] = field(default_factory=dict)
    reasons: list[dict[str, str]] = field(default_factory=list)


def _get(value: dict[str, Any], path: Path) -> Any:
    node: Any = value
    for tok in path:
        if not isinstance(node, dict) or tok not in node:
            return _MISSING
        node = node[tok]
    return node


def _pop(value: dict[str, Any], path: Path) -> Any:
    """Remove and return the value at path (copying the dicts on the way: the input is not changed)."""
    parent = _owner(value, path, create=False)
    if parent is None or path[-1] not in parent:
        return _MISSING
    return parent.pop(path[-1])


def _owner(value: dict[str, Any], path: Path, *, create: bool) -> dict[str, Any] | None:
    node = value
    for tok in path[:-1]:
        child = node.get(tok)
        if not isinstance(child, dict):
            if not create or child is not None:
                return None
            child = {}
        else:
            child = dict(child)  # copy on the way down
        node[tok] = child
        node = child
    return node


def _set(value: dict[str, Any], path: Path, item: Any) -> bool:
    parent = _owner(value, path, create=True)
    if parent is None:
        return False
    parent[path[-1]] = item
    return True


class Migrator:
    """Applies a plan to rows and checks each against B (the check-data validator)."""

    def __init__(self, plan: Plan, target: FormValidator, values: ValueReader | None = None) -> None:
        self.plan = plan
        self.target = target
        self._read = values.read if values is not None else None
        self._renames = list(plan.mapping.renames.items())
        self._removed = list(plan.removed)
        self._values = list(plan.mapping.values.items())
        self._defaults = [(p, v) for p, v in plan.mapping.defaults.items()]
        self._required_new = [p for p in plan.required_new]
        # Only these top-level keys can make a row change: anything else is carried as is.
        self._touched = {p[0] for p, _ in self._renames} | {p[0] for p in self._removed} | \
            {p[0] for p, _ in self._values} | {p[0] for p, _ in self._defaults}

    def row(self, value: Any) -> Outcome:
        """The outcome of one row."""
        if not isinstance(value, dict):
            return Outcome("refused", value, reasons=[{"pointer": "", "ja": "申請が JSON オブジェクトではありません",
                                                       "en": "the submission is not a JSON object"}])
        new = value
        changed = False
        removed: dict[str, Any] = {}
        if self._touched:
            new = dict(value)
            for old, to in self._renames:
                moved = _pop(new, old)
                if moved is not _MISSING:
                    _set(new, to, moved)
                    changed = True
            for p in self._removed:
                gone = _pop(new, p)
                if gone is not _MISSING:
                    removed[dotted(p)] = gone
                    changed = True
            for p, table in self._values:
                current = _get(new, p)
                if current is _MISSING:
                    continue
                mapped = _map(current, table)
                if mapped is not current:
                    _set(new, p, mapped)
                    changed = True
            for p, default in self._defaults:
                if _get(new, p) is _MISSING and (len(p) == 1 or isinstance(_get(new, p[:-1]), dict)):
                    _set(new, p, default)
                    changed = True
        normalize = self.target.normalizer
        checked = normalize(new) if normalize is not None else new
        if self.target.is_valid(checked):
            return Outcome("changed" if changed or checked is not new else "migrated", checked, removed)
        if self._read is not None:
            # Values as people write them (a label for a choice, 2022/6/13), read as B means them.
            again, readings = self._read(checked)
            if readings:
                again = normalize(again) if normalize is not None else again
                if self.target.is_valid(again):
                    return Outcome("changed", again, removed)
        reasons = []
        for p in self._required_new:
            if _get(new, p) is _MISSING and (len(p) == 1 or isinstance(_get(new, p[:-1]), dict)):
                title = self._title(p)
                reasons.append({"pointer": "/" + "/".join(p),
                                "ja": f"『{title}』は新しい版で必須ですが、この行にはなく既定値もありません",
                                "en": f"“{title}” is required in the new version; this row has none and there is no default"})
        for issue in self.target.check(checked, normalized=True, known_invalid=True):
            if not any(r["pointer"] == issue.pointer and issue.rule == "data.required" for r in reasons):
                reasons.append({"pointer": issue.pointer, "ja": issue.message_ja, "en": issue.message})
        return Outcome("refused", value, removed, reasons)

    def _title(self, p: Path) -> str:
        node = self.target.schema
        title = dotted(p)
        for tok in p:
            props = node.get("properties") if isinstance(node, dict) else None
            node = props.get(tok) if isinstance(props, dict) else None
            if isinstance(node, dict) and isinstance(node.get("title"), str):
                title = node["title"]
        return title


def _map(current: Any, table: dict[Any, Any]) -> Any:
    if isinstance(current, list):
        out = [table.get(x, x) if isinstance(x, str | int | bool) else x for x in current]
        return current if all(a is b or a == b for a, b in zip(out, current, strict=True)) else out
    if isinstance(current, str | int | bool) and current in table:
        return table[current]
    return current
