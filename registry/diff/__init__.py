"""Semantic diff of two JSON Schemas (2020-12): changes, verdicts, witnesses, bump (docs/diff.md).

``diff(old, new)`` answers, for both directions, whether every value valid under one schema is
valid under the other: ``compatible``, ``breaking`` or ``unknown`` — never a guess. Pure: no web,
SQL or git.
"""

from __future__ import annotations

from typing import Any, Literal

from registry.diff.model import (
    MODES,
    Change,
    CompatResult,
    Diff,
    Policy,
    Verdict,
    Witness,
    combine,
)
from registry.errors import InvalidTemplate, UsageError
from registry.models import Issue
from registry.syntax.refs import SchemaSet
from registry.versioning import Bump

__all__ = [
    "MODES",
    "Change",
    "CompatResult",
    "Diff",
    "Policy",
    "Verdict",
    "Witness",
    "change_json",
    "check_compat",
    "combine_verdicts",
    "diff",
    "diff_json",
    "mode_directions",
    "required_bump",
]


def change_json(c: Change) -> dict[str, Any]:
    """The JSON form of a change (the CLI and API contract: ``witness`` only when there is one)."""
    out: dict[str, Any] = {
        "pointer": c.pointer, "kind": c.kind, "before": c.before, "after": c.after,
        "backward": c.backward, "forward": c.forward, "message": c.message,
        "message_ja": c.message_ja, "field": c.field, "title": c.title, "cosmetic": c.cosmetic,
    }
    if c.witness is not None:
        out["witness"] = {"value": c.witness.value, "accepted_by": c.witness.accepted_by}
    return out


def diff_json(d: Diff) -> dict[str, Any]:
    """The JSON form of a diff: verdicts, bump, mode, policy and changes."""
    return {"backward": d.backward, "forward": d.forward, "bump": d.bump, "mode": d.mode,
            "policy": d.policy, "changes": [change_json(c) for c in d.changes]}


def mode_directions(mode: str) -> tuple[bool, bool]:
    """(needs backward, needs forward) of a compatibility mode; UsageError for an unknown one."""
    m = mode.upper()
    if m not in MODES:
        raise UsageError(f"unknown compatibility mode {mode!r}: use one of {', '.join(MODES)}",
                         detail_ja=f"互換性モード {mode!r} はありません。{', '.join(MODES)} のいずれかを指定してください")
    base = m.removesuffix("_TRANSITIVE")
    return base in ("BACKWARD", "FULL"), base in ("FORWARD", "FULL")


def combine_verdicts(verdicts: list[Verdict]) -> Verdict:
    """breaking if any is breaking, else unknown if any is unknown, else compatible."""
    return combine(verdicts)


def required_bump(d: Diff, mode: str) -> Bump:
    """The minimal SemVer bump for a diff under a compatibility mode (docs/diff.md "Bump rule")."""
    if not d.changes:
        return "none"
    if all(c.cosmetic for c in d.changes):
        return "patch"
    need_b, need_f = mode_directions(mode)
    if (need_b and d.backward != "compatible") or (need_f and d.forward != "compatible"):
        return "major"
    return "minor"


def _check_schema(schema: Any, which: str) -> None:
    import jsonschema_rs

    if isinstance(schema, bool):
        return
    if not isinstance(schema, dict):
        raise InvalidTemplate(f"the {which} schema is not a JSON object",
                              detail_ja=f"{'旧' if which == 'old' else '新'}スキーマが JSON オブジェクトではありません")
    try:
        jsonschema_rs.meta.validate(schema)
    except jsonschema_rs.ValidationError as exc:
        path = "".join(f"/{p}" for p in getattr(exc, "instance_path", []) or [])
        msg = str(exc).splitlines()[0] if str(exc) else "invalid schema"
        label = "旧" if which == "old" else "新"
        raise InvalidTemplate(
            f"the {which} schema is not a valid JSON Schema 2020-12: {msg}",
            detail_ja=f"{label}スキーマが JSON Schema 2020-12 として正しくありません: {msg}",
            issues=[Issue(rule="diff.invalid-schema", pointer=path,
                          message=f"The {which} schema is not a valid JSON Schema 2020-12: {msg}",
                          message_ja=f"{label}スキーマが JSON Schema 2020-12 として正しくありません: {msg}")],
        ) from None
    except Exception:  # the meta-validator itself failed (e.g. nesting); the engine bounds the rest
        return


def diff(old: Any, new: Any, policy: Policy | None = None, *, mode: str = "BACKWARD",
         old_schemas: SchemaSet | None = None, new_schemas: SchemaSet | None = None,
         witnesses: bool = True) -> Diff:
    """Compare two schemas; raises InvalidTemplate (invalid schema, unresolvable $ref)."""
    from registry.diff.references import prepare

    # Dialects and references (docs/diff.md "Dialects"): from here on both are 2020-12 with
    # references as root pointers or absolute URIs.
    old, new, old_schemas, new_schemas = prepare(old, new, old_schemas, new_schemas)
    from registry.diff.normalize import Side
    from registry.diff.walk.core import BR, UNK, Walk
    from registry.diff.witness import WitnessBuilder

    policy = policy or Policy()
    mode_directions(mode)
    too_deep = not _admitted(old, "old") or not _admitted(new, "new")
    if too_deep:
        return _too_complex_diff(old, new, mode, policy)
    old_schemas = old_schemas or SchemaSet()
    new_schemas = new_schemas or old_schemas
    o_side = Side("old", old, old_schemas)
    n_side = Side("new", new, new_schemas)
    pending = Walk(o_side, n_side, policy).run()
    builder = WitnessBuilder(o_side, n_side, policy, old_schemas, new_schemas) if witnesses else None
    changes: list[Change] = []
    for p in pending:
        c = p.change
        if builder is not None and not c.cosmetic:
            if c.backward in (BR, UNK):
                w = builder.find(p, "old")
                if w is not None:
                    c.backward, c.witness = BR, w
            if c.forward in (BR, UNK):
                w = builder.find(p, "new")
                if w is not None:
                    c.forward = BR
                    c.witness = c.witness or w
        # Under anyOf/oneOf/if a narrowed branch need not reject anything: without a checked
        # witness the honest answer is unknown.
        if p.ctx.disjunctive:
            if c.backward == BR and (c.witness is None or c.witness.accepted_by != "old"):
                c.backward = UNK
            if c.forward == BR and (c.witness is None or c.witness.accepted_by != "new"):
                c.forward = UNK
        changes.append(c)
    # Changes whose field names the instance place their keyword constrains (not propertyNames,
    # contains — "some item", not every item — or an undeclared property): only these are
    # explained field by field.
    placed = {id(p.change) for p in pending
              if p.ctx.ipath is not None and all(tok[0] != "x" for tok in p.ctx.ipath)
              and not p.change.kind.startswith(("contains", "min_contains", "max_contains"))}
    changes = _semantic(changes, o_side, n_side, policy, builder, placed)
    required: dict[str, frozenset[str]] = {}
    for c in changes:
        c.message, c.message_ja = _message(c, old, new, required, builder)
    changes.sort(key=_rank)
    d = Diff(backward=combine(c.backward for c in changes), forward=combine(c.forward for c in changes),
             bump="none", changes=changes, mode=mode.upper(), policy=policy.name)
    d.bump = required_bump(d, mode)
    return d


def _semantic(changes: list[Change], o_side: Any, n_side: Any, policy: Policy, builder: Any,
              placed: set[int]) -> list[Change]:
    """Decide the directions the walk did not prove by inclusion, and explain (explain.py)."""
    from registry.diff import explain
    from registry.diff.verdicts import Direction, Fields, decide
    from registry.diff.witness import WitnessBuilder

    if not any(not c.cosmetic for c in changes):
        return changes
    # A direction the walk proved (all compatible) or refuted with a checked value is settled.
    sem: dict[str, Direction] = {}
    todo: list[Literal["backward", "forward"]] = []
    for d, src in (("backward", "old"), ("forward", "new")):
        if all(getattr(c, d) == "compatible" for c in changes):
            continue
        w = next((c.witness for c in changes if getattr(c, d) == "breaking" and c.witness is not None
                  and c.witness.accepted_by == src), None)
        if w is not None:
            sem[d] = Direction(False, w.value)
        else:
            todo.append("backward" if d == "backward" else "forward")
    if todo:
        checker = builder or WitnessBuilder(o_side, n_side, policy, o_side.schemas, n_side.schemas)
        sem.update(decide(o_side, n_side, policy, checker.valid, tuple(todo)))
    out = explain.apply(changes, sem, Fields(o_side, n_side, policy), placed)
    if builder is None:  # witnesses=False
        for c in out:
            c.witness = None
    return out


def _message(c: Change, old: Any, new: Any, required: dict[str, frozenset[str]],
             builder: Any) -> tuple[str, str]:
    from registry.diff import explain
    from registry.diff.messages import render

    forms = explain.witness_forms(c, old, new, required)
    if forms is not None:
        c.witness_form_en, c.witness_form_ja = forms
    said = explain.staff_message(c)
    if said is None and builder is not None and c.witness is not None:
        sides = {"old": builder.sides["old"], "new": builder.sides["new"]}

        def sample(side: str, node: Any) -> Any:
            return builder.sample(sides[side], node, sides[side].root_base)

        said = explain.requirement_message(c, old, new, builder.valid, sample)
    return said or render(c)


MAX_JSON_DEPTH = 128
_ADMITTED: dict[bytes, None] = {}  # documents already checked (a registry diffs one version many times)


def _admitted(schema: Any, which: str) -> bool:
    """Valid against the meta-schema (else InvalidTemplate) and not deeper than MAX_JSON_DEPTH."""
    import msgspec

    try:
        key: bytes | None = msgspec.json.encode(schema)
    except Exception:  # not JSON data, or nested beyond the encoder's own limit
        key = None
    if key is not None and key in _ADMITTED:
        return True
    _check_schema(schema, which)
    if _too_deep(schema):
        return False
    if key is not None:
        if len(_ADMITTED) >= 32:
            _ADMITTED.pop(next(iter(_ADMITTED)))
        _ADMITTED[key] = None
    return True


def _too_deep(doc: Any) -> bool:
    """Deeper than MAX_JSON_DEPTH (level by level, without recursion: hostile input must not
    crash)."""
    level = [doc] if isinstance(doc, dict | list) else []
    for _ in range(MAX_JSON_DEPTH + 1):
        if not level:
            return False
        level = [v for node in level for v in (node.values() if isinstance(node, dict) else node)
                 if isinstance(v, dict | list)]
    return bool(level)


def _too_complex_diff(old: Any, new: Any, mode: str, policy: Policy) -> Diff:
    from registry.diff.messages import render

    try:
        same = old == new and type(old) is type(new)
    except RecursionError:
        same = False
    if same:
        return Diff(backward="compatible", forward="compatible", bump="none", changes=[],
                    mode=mode.upper(), policy=policy.name)
    c = Change(pointer="", kind="too_complex", before=None,
               after=f"nested deeper than {MAX_JSON_DEPTH} levels", backward="unknown",
               forward="unknown")
    c.message, c.message_ja = render(c)
    d = Diff(backward="unknown", forward="unknown", bump="none", changes=[c], mode=mode.upper(),
             policy=policy.name)
    d.bump = required_bump(d, mode)
    return d


def _rank(c: Change) -> int:
    # Breaking first, then unknown, then value changes, then cosmetic; stable within each.
    if "breaking" in (c.backward, c.forward):
        return 0
    if "unknown" in (c.backward, c.forward):
        return 1
    return 3 if c.cosmetic else 2


def check_compat(new: Any, olds: list[Any], mode: str, policy: Policy | None = None, *,
                 schemas: SchemaSet | None = None) -> CompatResult:
    """Does ``new`` satisfy ``mode`` against ``olds`` (oldest → newest)?"""
    need_b, need_f = mode_directions(mode)
    m = mode.upper()
    if m == "NONE" or not olds:
        return CompatResult(ok=True, verdict="compatible", mode=m, diffs=[])
    targets = olds if m.endswith("_TRANSITIVE") else olds[-1:]
    diffs = [diff(old, new, policy, mode=m, old_schemas=schemas, new_schemas=schemas) for old in targets]
    verdicts: list[Verdict] = []
    for d in diffs:
        if need_b:
            verdicts.append(d.backward)
        if need_f:
            verdicts.append(d.forward)
    verdict = combine_verdicts(verdicts)
    return CompatResult(ok=verdict == "compatible", verdict=verdict, mode=m, diffs=diffs)
