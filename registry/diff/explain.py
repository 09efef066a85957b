"""The change list made to explain the semantic verdicts (docs/diff.md "Verdicts and changes").

The keyword walk (engine.py) lists what changed where; the inclusion check (verdicts.py) says
what it means for the values. Here the two meet:
- a direction proven included: no change is breaking (or unknown) in it;
- a direction refuted: the checked counterexample becomes the witness of the change at its
  field (one is marked breaking if none was);
- both directions included and the value sets equal under strict set semantics: the changes
  are rewrites — one cosmetic ``rewritten`` change replaces them;
- a widening to null is said as staff would say it, and each witness is also shown as a
  filled form (「区分: 早退、時刻: （空欄）」).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from registry.diff.model import Change, Verdict, Witness
from registry.diff.verdicts import Direction, Fields, change_value_kind
from registry.syntax import pointers

OK: Verdict = "compatible"
BR: Verdict = "breaking"
UNK: Verdict = "unknown"
DECLARATIONS = frozenset({"property_added", "property_removed", "pattern_properties_added",
                          "pattern_properties_removed"})


def apply(changes: list[Change], sem: dict[str, Direction], fields: Fields, placed: set[int]) -> list[Change]:
    """Adjust the walk's changes to the semantic verdicts; returns the new list."""
    for d, src in (("backward", "old"), ("forward", "new")):
        res = sem.get(d)
        if res is None:
            continue
        if res.included is True:
            if any(getattr(c, d) == BR and c.witness is not None and c.witness.accepted_by == src for c in changes):
                continue  # a checked value contradicts the proof: trust the value
            for c in changes:
                setattr(c, d, OK)
                if c.witness is not None and c.witness.accepted_by == src:
                    c.witness = None
        elif res.included is None:
            # Unknown by inclusion and no checked value: a walk's "breaking" is a suspicion.
            if not any(getattr(c, d) == BR and c.witness is not None and c.witness.accepted_by == src
                       for c in changes):
                for c in changes:
                    if getattr(c, d) == BR:
                        setattr(c, d, UNK)
        elif res.included is False:
            # Only changes whose field (in the kind of value they constrain) really narrowed
            # stay breaking; the refutation itself is attached where its value differs.
            for c in changes:
                if c.cosmetic or getattr(c, d) == OK:
                    continue
                if (c.witness is not None and c.witness.accepted_by == src) or id(c) not in placed:
                    continue
                if fields.included(c.field, d, change_value_kind(c.kind)) is True:
                    setattr(c, d, OK)
            _attach(changes, d, src, res.witness)
    return _collapse_rewrites(changes, fields, placed)


def _collapse_rewrites(changes: list[Change], fields: Fields, placed: set[int]) -> list[Change]:
    """Changes at a field that accepts exactly the same values become one cosmetic change
    (a property declared or removed stays reported: the form gains or loses an input)."""
    groups: dict[str, list[Change]] = {}
    for c in changes:
        if not c.cosmetic and not c.behavioural and id(c) in placed and c.kind not in DECLARATIONS:
            groups.setdefault(c.field, []).append(c)
    out: list[Change] = []
    done: set[str] = set()
    for c in changes:
        group = groups.get(c.field)
        if group is None or c not in group:
            out.append(c)
            continue
        if c.field in done:
            continue
        done.add(c.field)
        if all(g.backward == OK and g.forward == OK and g.witness is None for g in group) and \
                all(fields.included(c.field, d, None, strict=True) is True for d in ("backward", "forward")):
            out.append(_rewritten(group))
            continue
        # Within a field that changed: keyword moves that keep a value kind's set are rewrites.
        moved = [g for g in group if g.backward == OK and g.forward == OK and g.witness is None
                 and (k := change_value_kind(g.kind)) is not None
                 and all(fields.included(g.field, d, k, strict=True) is True for d in ("backward", "forward"))]
        out += [g for g in group if g not in moved]
        if moved:
            out.append(_rewritten(moved))
    return out


def _attach(changes: list[Change], d: str, src: str, value: Any) -> None:
    w = Witness(value=value, accepted_by="old" if src == "old" else "new")
    if any(getattr(c, d) == BR and c.witness is not None and c.witness.accepted_by == src for c in changes):
        return
    cands = [c for c in changes if not c.cosmetic and getattr(c, d) != OK]
    cands.sort(key=lambda c: (not _at(value, c.field)[0], getattr(c, d) != BR))
    if cands:
        c = cands[0]
    else:
        c = Change(pointer="", kind="value_set_changed", before=None, after=None,
                   backward=OK, forward=OK)
        changes.append(c)
    setattr(c, d, BR)
    if c.witness is None:
        c.witness = w


def _common(parts: list[str]) -> str:
    split = [p.split("/") for p in parts]
    out: list[str] = []
    for toks in zip(*split, strict=False):
        if all(t == toks[0] for t in toks):
            out.append(toks[0])
        else:
            break
    return "/".join(out)


def _rewritten(real: list[Change]) -> Change:
    ptr = _common([c.pointer for c in real])
    field = _common([c.field for c in real])
    titles = {c.title for c in real if c.title}
    kinds = {c.kind.split("_")[0] for c in real}
    c = Change(pointer=ptr, kind="rewritten", before=None, after=None, backward=OK, forward=OK,
               field=field, title=titles.pop() if len(titles) == 1 else None, cosmetic=True)
    c.before = sorted({r.kind for r in real})
    choices = kinds & {"enum", "const", "one"} and kinds <= {"enum", "const", "one", "any", "type"}
    c.value_label = "choices" if choices else None
    return c


# ------------------------------------------------------------------------------ messages

def staff_message(c: Change) -> tuple[str, str] | None:
    """A message that says what happened for values, where the walk's kind says it poorly."""
    f_ja = f"『{c.title}』" if c.title else (f"「{c.field}」" if c.field else "フォーム")
    f_en = f'"{c.title}"' if c.title else (c.field or "the form")
    if c.kind == "rewritten":
        if c.value_label == "choices":
            return (f"The way the choices of {f_en} are written changed (the same values are accepted).",
                    f"{f_ja}の選択肢の書き方が変わりました（受け付ける値は同じ）。")
        return (f"The way {f_en} is written changed (the same values are accepted).",
                f"{f_ja}の書き方が変わりました（受け付ける値は同じ）。")
    w = c.witness
    if w is not None and w.accepted_by == "new" and c.backward == OK and c.field:
        found, part = _at(w.value, c.field)
        if found and part is None:
            return (f"{f_en} may now be left empty (null).",
                    f"{f_ja}を空欄（null）のままにできるようになりました。")
    return None


CONDITIONAL_KINDS = ("conditional_", "all_of_", "any_of_", "one_of_", "dependent_", "value_set_changed")


def requirement_message(c: Change, old: Any, new: Any, valid: Callable[[str, Any], bool | None],
                        sample: Callable[[str, Any], Any]) -> tuple[str, str] | None:
    """For a conditional change refuted by a witness that lacks a field: which field became
    required (or optional) in which case — 「「区分: 早退」のとき『時刻』の入力が必須になりました」.

    ``valid(side, value)`` validates a whole instance; ``sample(side, subschema)`` gives a value
    for a field (or raises). Only the form's top level is explained this way."""
    w = c.witness
    if w is None or not c.kind.startswith(CONDITIONAL_KINDS) or not isinstance(w.value, dict):
        return None
    other = "new" if w.accepted_by == "old" else "old"
    other_schema = new if other == "new" else old
    props = other_schema.get("properties") if isinstance(other_schema, dict) else None
    if not isinstance(props, dict):
        return None
    for k in sorted(_required_names(other_schema, 0)):
        if k in w.value or k not in props:
            continue
        try:
            filled = {**w.value, k: sample(other, props[k])}
        except Exception:
            continue
        if valid(other, filled) is not True:
            continue
        sub = props[k]
        title = sub.get("title") if isinstance(sub, dict) and isinstance(sub.get("title"), str) else k
        case_ja = filled_form(w.value, other_schema, "ja")
        case_en = filled_form(w.value, other_schema, "en")
        from registry.diff.messages import CONSEQUENCE

        en_c, ja_c = CONSEQUENCE["backward" if other == "new" else "forward"]
        if other == "new":
            return (f"When {case_en}, \"{title}\" is now required. {en_c}",
                    f"「{case_ja}」のとき『{title}』の入力が必須になりました。{ja_c}")
        return (f"When {case_en}, \"{title}\" may now be left out. {en_c}",
                f"「{case_ja}」のとき『{title}』を入力しなくてもよくなりました。{ja_c}")
    return None


def _at(value: Any, field: str) -> tuple[bool, Any]:
    node = value
    for tok in pointers.split(field) if field else []:
        if isinstance(node, dict) and tok in node:
            node = node[tok]
        elif isinstance(node, list) and node:
            node = node[0]
        else:
            return False, None
    return True, node


MAX_FORM_FIELDS = 6


def filled_form(value: Any, schema: Any, lang: str = "ja", relevant: frozenset[str] = frozenset(),
                focus: str = "") -> str:
    """A witness shown as a filled form: 「区分: 早退、時刻: （空欄）」 — the field concerned and
    the blank fields the other version asks for first, at most MAX_FORM_FIELDS entries."""
    if not isinstance(value, dict) or not isinstance(schema, dict):
        return _scalar(value, lang)
    props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    assert isinstance(props, dict)
    head, _, rest = focus.lstrip("/").partition("/")
    head = pointers.unescape(head) if head else ""
    present = [head] if head in value else []
    for k in value:  # the submission's own order, at most what is shown (forms can be large)
        if len(present) > MAX_FORM_FIELDS:
            break
        if k != head:
            present.append(k)
    absent = [k for k in [head, *sorted(relevant)] if k and k not in value and k in props]
    parts = []
    for k in [*present[:1], *absent, *present[1:]][:MAX_FORM_FIELDS]:
        sub = props.get(k)
        title = sub.get("title") if isinstance(sub, dict) and isinstance(sub.get("title"), str) else k
        if k not in value:
            parts.append(f"{title}: {'（空欄）' if lang == 'ja' else '(blank)'}")
            continue
        v = value[k]
        inner = "/" + rest if k == head and rest else ""
        text = filled_form(v, sub, lang, relevant, inner) if isinstance(v, dict) else _scalar(v, lang)
        parts.append(f"{title}: {text}")
    if len(value) + len(absent) > MAX_FORM_FIELDS:
        parts.append("…")
    sep = "、" if lang == "ja" else ", "
    return sep.join(parts) if parts else ("（項目なし）" if lang == "ja" else "(no fields)")


def _scalar(v: Any, lang: str) -> str:
    if v is None:
        return "（空欄）" if lang == "ja" else "(blank)"
    if isinstance(v, bool):
        return ("はい" if v else "いいえ") if lang == "ja" else ("yes" if v else "no")
    if isinstance(v, str):
        return v if v else ("（空文字）" if lang == "ja" else '""')
    if isinstance(v, list):
        return "・".join(_scalar(x, lang) for x in v) if v else ("（なし）" if lang == "ja" else "(none)")
    text = json.dumps(v, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def witness_forms(c: Change, old: Any, new: Any, required: dict[str, frozenset[str]]) -> tuple[str, str] | None:
    """(English, Japanese) filled-form renderings of the change's witness; ``required`` caches
    the names each side's ``required`` lists."""
    if c.witness is None:
        return None
    src = c.witness.accepted_by
    schema, other, other_name = (old, new, "new") if src == "old" else (new, old, "old")
    if other_name not in required:
        required[other_name] = frozenset(_required_names(other, 0))
    relevant = required[other_name]
    return (filled_form(c.witness.value, schema, "en", relevant, c.field),
            filled_form(c.witness.value, schema, "ja", relevant, c.field))


IN_PLACE = ("allOf", "anyOf", "oneOf", "if", "then", "else", "not")


def _required_names(node: Any, depth: int) -> set[str]:
    """The names a schema's ``required`` lists at its top level, in its in-place branches and
    dependent rules (the blank fields worth showing)."""
    out: set[str] = set()
    if depth > 8 or not isinstance(node, dict):
        return out
    req = node.get("required")
    if isinstance(req, list):
        out |= {r for r in req if isinstance(r, str)}
    dr = node.get("dependentRequired")
    if isinstance(dr, dict):
        for names in dr.values():
            if isinstance(names, list):
                out |= {r for r in names if isinstance(r, str)}
    branches: list[Any] = []
    for kw in IN_PLACE:
        v = node.get(kw)
        branches += v if isinstance(v, list) else [v] if isinstance(v, dict) else []
    ds = node.get("dependentSchemas")
    if isinstance(ds, dict):
        branches += list(ds.values())
    for b in branches:
        out |= _required_names(b, depth + 1)
    return out
