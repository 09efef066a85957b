"""The plan of a migration from form version A to form version B. Pure: no I/O.

The diff engine's changes between A and B drive the default plan; a mapping (``--map`` or the
``migrations`` entry that B's template.json ships for A) adds renames, value maps and defaults.
Every field A has and B does not is moved to a side file with the row's id — never lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from registry.diff import Change
from registry.errors import UsageError
from registry.submissions.values import FieldInfo

Path = tuple[str, ...]


@dataclass(frozen=True)
class Mapping:
    """Renames (old path → new path), value maps (new path → {old: new}) and defaults (path → value)."""

    renames: dict[Path, Path] = field(default_factory=dict)
    values: dict[Path, dict[Any, Any]] = field(default_factory=dict)
    defaults: dict[Path, Any] = field(default_factory=dict)
    source: str = ""

    @classmethod
    def parse(cls, data: Any, source: str) -> Mapping:
        """A mapping from its JSON/YAML form (the shape of one ``migrations`` entry)."""
        if not isinstance(data, dict):
            raise UsageError(f"{source}: a mapping is an object with renames, values, defaults",
                             detail_ja=f"{source}: 対応表は renames・values・defaults を持つオブジェクトです")
        unknown = sorted(set(data) - {"from", "renames", "values", "defaults", "note"})
        if unknown:
            raise UsageError(f"{source}: unknown keys {', '.join(unknown)} (use renames, values, defaults)",
                             detail_ja=f"{source}: {', '.join(unknown)} は使えません（renames・values・defaults を書いてください）")

        def obj(key: str) -> dict[str, Any]:
            v = data.get(key, {})
            if not isinstance(v, dict):
                raise UsageError(f"{source}: {key} must be an object", detail_ja=f"{source}: {key} はオブジェクトにしてください")
            return v

        renames = {_path(k): _path(str(v)) for k, v in obj("renames").items()}
        values: dict[Path, dict[Any, Any]] = {}
        for k, v in obj("values").items():
            if not isinstance(v, dict):
                raise UsageError(f"{source}: values.{k} must map old values to new ones",
                                 detail_ja=f"{source}: values.{k} は {{旧値: 新値}} にしてください")
            values[_path(k)] = dict(v)
        defaults = {_path(k): v for k, v in obj("defaults").items()}
        return cls(renames, values, defaults, source)

    def merged(self, other: Mapping) -> Mapping:
        """This mapping with ``other``'s entries taking precedence."""
        return Mapping({**self.renames, **other.renames}, {**self.values, **other.values},
                       {**self.defaults, **other.defaults}, " + ".join(x for x in (self.source, other.source) if x))


def _path(text: str) -> Path:
    parts = tuple(text.split("."))
    if not all(parts):
        raise UsageError(f"{text!r} is not a field path (write parent.child)",
                         detail_ja=f"{text!r} は項目の指定ではありません（親.子 のように書いてください）")
    return parts


def dotted(path: Path) -> str:
    """``("a", "b")`` → ``a.b``."""
    return ".".join(path)


@dataclass(frozen=True)
class Step:
    """One line of the plan, in both languages."""

    action: str  # carry | rename | values | remove | default | refuse-missing | check | info
    path: str
    ja: str
    en: str


@dataclass
class Plan:
    """What a migration will do, decided before any row moves."""

    source: str
    target: str
    lineage_ja: str
    lineage_en: str
    mapping: Mapping
    removed: list[Path]
    required_new: list[Path]  # required in B, absent from A, no default: rows are refused
    steps: list[Step]
    carried: list[Path]


def _leaves(f: FieldInfo, prefix: Path = ()) -> dict[Path, FieldInfo]:
    out: dict[Path, FieldInfo] = {}
    for name, sub in f.properties.items():
        p = (*prefix, name)
        out[p] = sub
        if sub.properties and "array" not in sub.types:
            out.update(_leaves(sub, p))
    return out


def _required_paths(f: FieldInfo, prefix: Path = ()) -> list[Path]:
    out: list[Path] = []
    for name, sub in f.properties.items():
        if name in f.required:
            out.append((*prefix, name))
            if sub.properties and "array" not in sub.types:
                out.extend(_required_paths(sub, (*prefix, name)))
    return out


def make_plan(source: str, target: str, a: FieldInfo, b: FieldInfo, changes: list[Change], mapping: Mapping,
              b_defaults: dict[Path, Any], lineage: tuple[str, str]) -> Plan:
    """The plan: carried fields, renames, value maps, removals, defaults, and the diff's changes."""
    fa, fb = _leaves(a), _leaves(b)
    steps: list[Step] = []
    for old, new in mapping.renames.items():
        if old not in fa:
            raise UsageError(f"rename {dotted(old)}: version A has no such field",
                             detail_ja=f"名前の変更 {dotted(old)}: 移行元の版にこの項目がありません")
        if new not in fb:
            raise UsageError(f"rename to {dotted(new)}: version B has no such field",
                             detail_ja=f"名前の変更 {dotted(new)}: 移行先の版にこの項目がありません")
        steps.append(Step("rename", dotted(old), f"『{fa[old].title}』({dotted(old)}) を {dotted(new)} に移します",
                          f"move {dotted(old)} to {dotted(new)}"))
    for p, table in mapping.values.items():
        if p not in fb:
            raise UsageError(f"values for {dotted(p)}: version B has no such field",
                             detail_ja=f"値の対応 {dotted(p)}: 移行先の版にこの項目がありません")
        pairs = "、".join(f"{k} → {v}" for k, v in table.items())
        steps.append(Step("values", dotted(p), f"『{fb[p].title}』の値を読み替えます: {pairs}",
                          f"map values of {dotted(p)}: {pairs}"))
    renamed_from = set(mapping.renames)
    renamed_to = set(mapping.renames.values())
    removed = [p for p in fa if p not in fb and p not in renamed_from
               and not any(p[:i] in renamed_from or (p[:i] in fa and p[:i] not in fb) for i in range(1, len(p)))]
    for p in removed:
        steps.append(Step("remove", dotted(p), f"『{fa[p].title}』({dotted(p)}) は移行先にないため、別ファイルに行の番号とともに移します",
                          f"{dotted(p)} is not in B: moved to the side file with the row's id"))
    defaults = {**b_defaults, **mapping.defaults}
    for p, v in defaults.items():
        if p not in fb:
            raise UsageError(f"default for {dotted(p)}: version B has no such field",
                             detail_ja=f"既定値 {dotted(p)}: 移行先の版にこの項目がありません")
        steps.append(Step("default", dotted(p), f"『{fb[p].title}』がない行には {v!r} を入れます",
                          f"rows without {dotted(p)} get {v!r}"))
    required_a = set(_required_paths(a))
    required_new = [p for p in _required_paths(b)
                    if (p not in fa or p in removed or p not in required_a) and p not in renamed_to
                    and p not in defaults and not (len(p) > 1 and p[:-1] not in fa)]
    for p in required_new:
        steps.append(Step("refuse-missing", dotted(p),
                          f"『{fb[p].title}』は移行先で必須になり、既定値がありません。値のない行は移行せず理由を示します"
                          f"（--map の defaults で既定値を指定できます）",
                          f"{dotted(p)} is required in B and has no default: rows without it are refused "
                          f"(give one under defaults in --map)"))
    for c in changes:
        if c.cosmetic or c.kind in ("identifier_changed",):
            continue
        if c.kind == "property_removed" and any(c.field == "/" + "/".join(p) for p in removed):
            continue
        steps.append(Step("check", c.field or c.pointer, f"差分: {c.message_ja}（移行後の各行を新しい版で検査します）",
                          f"diff: {c.message} (every row is checked against B)"))
    carried: list[Path] = [p for p in fa if p in fb and len(p) == 1]
    return Plan(source, target, lineage[0], lineage[1], mapping, removed, required_new, steps, carried)


def plan_text(plan: Plan, lang: str) -> str:
    """The plan as staff read it (``yoshiki migrate --plan``)."""
    ja = lang == "ja"
    lines = [f"{'移行計画' if ja else 'migration plan'}: {plan.source} → {plan.target}",
             f"  {plan.lineage_ja if ja else plan.lineage_en}"]
    if plan.mapping.source:
        lines.append(f"  {'対応表' if ja else 'mapping'}: {plan.mapping.source}")
    lines.append(f"  {'そのまま移す項目' if ja else 'carried unchanged'}: "
                 + (", ".join(dotted(p) for p in plan.carried) or "-"))
    for s in plan.steps:
        lines.append(f"  [{s.action}] {s.ja if ja else s.en}")
    return "\n".join(lines) + "\n"


def declared_defaults(a: FieldInfo, b: FieldInfo) -> dict[Path, Any]:
    """``default`` values B declares on fields that are required in B and absent from A."""
    fa, fb = _leaves(a), _leaves(b)
    return {p: fb[p].schema["default"] for p in _required_paths(b)
            if p not in fa and p in fb and "default" in fb[p].schema}
