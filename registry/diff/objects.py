"""Objects: properties, patternProperties, additionalProperties, required, dependent*, size
bounds, propertyNames, unevaluatedProperties where decidable, and the lenient assumption.

An object atom says, for every key, which schema its value must satisfy (``schema_for``): the
named property's schema, else per conjunct the matching ``patternProperties`` or
``additionalProperties``. ``a ⊆ b`` compares the keys either side names one by one (exact), the
keys nobody names as one class (exact when no ``patternProperties`` separate them; with
patterns: sufficient rules and sampled keys), ``required`` (a counterexample omits the key),
size bounds and ``propertyNames``.

Lenient (docs/diff.md "Policies"): a submission carries only the properties declared by its
version — named in ``properties`` or matching ``patternProperties`` of that object's schema or
of its in-place branches. The source side of a direction is canonicalised with that assumption
(``Obj.declared``), so keys outside it never occur in its values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from registry.diff.atoms import SELF_AND_CHILDREN, Lazy, LConst, LNode, LNot, Obj, Opaque, Rule, Str
from registry.syntax import regexes

if TYPE_CHECKING:
    from registry.diff.inclusion import Checker

FALSE = LConst((), "false")
IN_PLACE = ("allOf", "anyOf", "oneOf", "if", "then", "else", "dependentSchemas", "not")
FRESH_KEYS = ("備考", "memo", "extra", "x")


def _int(v: Any, default: int | None) -> int | None:
    return v if isinstance(v, int) and not isinstance(v, bool) else default


def _search(pattern: str, key: str) -> bool:
    try:
        return regexes.search(pattern, key)
    except Exception:
        return False


def build(ck: Checker, e: dict[str, Any], base: str, ln: LNode, sub: Callable[..., LNode],
          hints: tuple[Any, ...]) -> Any:
    """The object atom of a schema's object keywords (dependent* come as disjunctions)."""
    props_raw = e.get("properties")
    props: dict[str, Lazy] = {}
    if isinstance(props_raw, dict):
        for k, v in props_raw.items():
            props[k] = FALSE if v is False else sub(v)
    pp_raw = e.get("patternProperties")
    pps = tuple((p, sub(v)) for p, v in pp_raw.items()) if isinstance(pp_raw, dict) else ()
    if pps:
        from registry.diff.canonical import conj

        # patternProperties apply to named properties too: a named key's schema is the whole.
        for k in props:
            extra = [lz for p, lz in pps if _search(p, k)]
            if extra and props[k] is not FALSE:
                props[k] = conj(props[k], *extra) or props[k]
    additional: Lazy | None = None
    if "additionalProperties" in e and e["additionalProperties"] is not True and e["additionalProperties"] != {}:
        additional = FALSE if e["additionalProperties"] is False else sub(e["additionalProperties"])
    elif "unevaluatedProperties" in e and e["unevaluatedProperties"] is not True and e["unevaluatedProperties"] != {}:
        if any(k in e for k in IN_PLACE):
            return Opaque("object", "unevaluatedProperties beside in-place applicators")
        additional = FALSE if e["unevaluatedProperties"] is False else sub(e["unevaluatedProperties"])
    rules = (Rule(pps, additional),) if pps or additional is not None else ()
    req = e.get("required")
    required = frozenset(k for k in req if isinstance(k, str)) if isinstance(req, list) else frozenset()
    names = sub(e["propertyNames"]) if "propertyNames" in e and e["propertyNames"] is not True else None
    declared: tuple[tuple[frozenset[str], tuple[str, ...]], ...] = ()
    if ln.declared == SELF_AND_CHILDREN:
        n, p = declared_names(ln.side, e, base, 0)
        if n or p:  # an object that declares nothing is a free-form map: no assumption
            declared = ((frozenset(n), tuple(p)),)
    return Obj(props, rules, required, _int(e.get("minProperties"), 0) or 0,
               _int(e.get("maxProperties"), None), names, declared, {},
               tuple(h for h in hints if isinstance(h, dict)))


def declared_names(side: Any, e: Any, base: str, depth: int) -> tuple[set[str], list[str]]:
    """Names and patterns an object schema declares, with its in-place branches."""
    names: set[str] = set()
    pats: list[str] = []
    if depth > 20 or not isinstance(e, dict):
        return names, pats
    if isinstance(e.get("properties"), dict):
        names |= set(e["properties"])
    if isinstance(e.get("patternProperties"), dict):
        pats += list(e["patternProperties"])
    branches: list[Any] = []
    for kw in ("allOf", "anyOf", "oneOf"):
        if isinstance(e.get(kw), list):
            branches += e[kw]
    for kw in ("if", "then", "else"):
        if kw in e:
            branches.append(e[kw])
    if isinstance(e.get("dependentSchemas"), dict):
        branches += list(e["dependentSchemas"].values())
    for b in branches:
        try:
            be, bb = side.expand(b, base)
        except Exception:
            continue
        n, p = declared_names(side, be, bb, depth + 1)
        names |= n
        pats += p
    return names, pats


def dependencies(e: dict[str, Any], sub: Callable[..., LNode]) -> Iterator[tuple[str, Lazy | None]]:
    """``dependentRequired``/``dependentSchemas`` as (key, what its presence adds)."""
    dr = e.get("dependentRequired")
    if isinstance(dr, dict):
        for k, names in dr.items():
            if isinstance(names, list) and names:
                yield k, LConst((Obj(required=frozenset(n for n in names if isinstance(n, str))),), f"dr:{k}:{names}")
    ds = e.get("dependentSchemas")
    if isinstance(ds, dict):
        for k, s in ds.items():
            if s is not True and s != {}:
                yield k, sub(s)


def without(name: str) -> Obj:
    """Objects without the key ``name``."""
    return Obj(props={name: FALSE})


def declared_ok(a: Obj, key: str) -> bool:
    """May the key occur under the lenient assumption?"""
    return all(key in names or any(_search(p, key) for p in pats) for names, pats in a.declared)


def schema_for(a: Obj, key: str) -> Lazy | None:
    """The schema a key's value must satisfy (None: anything; FALSE: the key cannot occur)."""
    from registry.diff.canonical import conj

    if not declared_ok(a, key):
        return FALSE
    if key in a.props:
        return a.props[key]
    parts: list[Lazy | None] = []
    for rule in a.rules:
        matched = [lz for p, lz in rule.patterns if _search(p, key)]
        parts += matched if matched else [rule.additional]
    return conj(*parts)


def meet(ck: Checker, a: Obj, b: Obj) -> Obj | None:
    """a ∧ b."""
    from registry.diff.canonical import conj

    props: dict[str, Lazy] = {}
    for k in dict.fromkeys([*a.props, *b.props]):
        sa = a.props[k] if k in a.props else schema_for(a, k)
        sb = b.props[k] if k in b.props else schema_for(b, k)
        c = conj(sa, sb)
        props[k] = c if c is not None else ck.ANY
        if (sa is FALSE or sb is FALSE) and k in (a.required | b.required):
            return None
    hi = b.hi if a.hi is None else a.hi if b.hi is None else min(a.hi, b.hi)
    lo = max(a.lo, b.lo)
    required = a.required | b.required
    if hi is not None and (lo > hi or len(required) > hi):
        return None
    return Obj(props, a.rules + b.rules, required, lo, hi, conj(a.names, b.names),
               a.declared + b.declared, {**a.excluded, **b.excluded}, a.hints + b.hints)


def complement(a: Obj) -> list[Any]:
    """Objects outside a, where representable."""
    out: list[Any] = []
    for k in sorted(a.required):
        out.append(without(k))
    for k, lz in a.props.items():
        if lz is FALSE:
            out.append(Obj(required=frozenset({k})))
        elif not (isinstance(lz, LConst) and lz.name == "true"):
            out.append(Obj(props={k: LNot(lz)}, required=frozenset({k})))
    if a.rules:
        out.append(Opaque("object", "objects with a property outside patternProperties/additionalProperties"))
    if a.lo > 0:
        out.append(Obj(hi=a.lo - 1))
    if a.hi is not None:
        out.append(Obj(lo=a.hi + 1))
    if a.names is not None or a.declared:
        out.append(Opaque("object", "objects with a property name outside propertyNames"))
    return out


def member(ck: Checker, a: Obj, v: Any) -> bool | None:
    """Is v in a?"""
    if not isinstance(v, dict):
        return False
    if not a.required <= set(v):
        return False
    if len(v) < a.lo or (a.hi is not None and len(v) > a.hi):
        return False
    if a.excluded:
        from registry.diff.normalize import canon

        if canon(v) in a.excluded:
            return False
    unsure = False
    for k, x in v.items():
        s = schema_for(a, k)
        if s is not None:
            m = ck.member(s, x)
            if m is False:
                return False
            unsure = unsure or m is None
        if a.names is not None:
            m = ck.member(a.names, k)
            if m is False:
                return False
            unsure = unsure or m is None
    return None if unsure else True


def _value_for(ck: Checker, a: Obj, key: str) -> Any:
    s = schema_for(a, key)
    return ck.sample(s) if s is not None else ""


def sample(ck: Checker, a: Obj, *, drop: str | None = None, set_key: str | None = None,
           value: Any = None, size: int | None = None) -> dict[str, Any] | None:
    """An object of a: from its examples when they fit, else its required keys sampled; with
    ``drop`` absent, ``set_key`` = ``value``, and ``size`` keys when given."""
    starts: list[dict[str, Any]] = [dict(h) for h in a.hints if member(ck, a, h) is True]
    starts.append({})
    for start in starts:
        obj = dict(start)
        ok = True
        for k in [*[k for k in a.props if k in a.required], *sorted(a.required - set(a.props))]:
            if k == drop or k in obj:
                continue
            x = _value_for(ck, a, k)
            if x is ck.NONE:
                ok = False
                break
            obj[k] = x
        if not ok:
            continue
        if drop is not None:
            obj.pop(drop, None)
        if set_key is not None:
            obj[set_key] = value
        want = max(a.lo, size or 0)
        if size is not None and len(obj) > size:
            for k in [k for k in obj if k not in a.required and k != set_key]:
                if len(obj) <= size:
                    break
                del obj[k]
        for k in [*a.props, *FRESH_KEYS]:
            if len(obj) >= want:
                break
            if k in obj or k == drop:
                continue
            x = _value_for(ck, a, k)
            if x is not ck.NONE:
                obj[k] = x
        if member(ck, a, obj) is True:
            return obj
    return None


def _keys(a: Obj, b: Obj) -> list[str]:
    out = [*a.props, *b.props, *sorted(a.required), *sorted(b.required)]
    for d in (a, b):
        for names, _ in d.declared:
            out += sorted(names)
    return list(dict.fromkeys(out))


def included(ck: Checker, a: Obj, b: Obj) -> tuple[bool | None, Any]:
    """Is a ⊆ b? (True, None) / (False, counterexample) / (None, None)."""
    unknown = False
    keys = _keys(a, b)
    # required: a value of a without the key.
    for k in sorted(b.required - a.required):
        s = sample(ck, a, drop=k)
        if s is not None and k not in s:
            return False, s
        if not _forced(ck, a, k, keys):
            unknown = True
    # the keys either side names (an optional key a's size bound leaves no room for never occurs).
    no_room = a.hi is not None and a.hi <= len(a.required)
    for k in keys:
        sa, sb = schema_for(a, k), schema_for(b, k)
        if sb is None or sa is FALSE or (no_room and k not in a.required):
            continue
        r, cex = ck.incl(sa if sa is not None else ck.ANY, sb)
        if r is True:
            continue
        if r is False:
            s = sample(ck, a, set_key=k, value=cex)
            if s is not None and member(ck, b, s) is False:
                return False, s
        unknown = True
    # the keys nobody names.
    r, cex = _others(ck, a, b, set(keys))
    if r is False:
        return False, cex
    unknown = unknown or r is None
    # propertyNames
    if b.names is not None:
        r, cex = _names(ck, a, b, keys)
        if r is False:
            return False, cex
        unknown = unknown or r is None
    # size bounds
    r, cex = _size(ck, a, b, keys)
    if r is False:
        return False, cex
    unknown = unknown or r is None
    if b.excluded:
        for v in b.excluded.values():
            m = member(ck, a, v)
            if m is True:
                return False, v
            unknown = unknown or m is None
    return (None, None) if unknown else (True, None)


def _forced(ck: Checker, a: Obj, key: str, keys: list[str]) -> bool:
    """Must every object of a have ``key`` (a closed object whose other possible keys cannot
    reach minProperties, or whose values are all empty)?"""
    if ck.is_empty_atom(a):
        return True
    if not _closed(a) or a.lo == 0:
        return False
    others = [k for k in keys if k != key and (s := schema_for(a, k)) is not FALSE
              and not (s is not None and ck.is_empty(s))]
    return len(others) < a.lo


def _closed(a: Obj) -> bool:
    """Can a have no key beyond the names it lists?"""
    if any(not pats for _, pats in a.declared):
        return True
    return any(r.additional is FALSE and not r.patterns for r in a.rules)


def _others(ck: Checker, a: Obj, b: Obj, named: set[str]) -> tuple[bool | None, Any]:
    if _closed(a):
        return True, None
    if not b.rules and not b.declared:
        return True, None
    a_pats = {p for r in a.rules for p, _ in r.patterns} | {p for _, ps in a.declared for p in ps}
    b_pats = {p for r in b.rules for p, _ in r.patterns}
    # Candidate keys: a fresh name matching no pattern, and a sample of each pattern.
    cands: list[str] = [k for k in FRESH_KEYS if k not in named]
    from registry.diff import strings

    for p in sorted(a_pats | b_pats):
        try:
            key = strings.sample(Str(patterns=(p,)))
        except Exception:
            key = None
        if key is not None and key not in named:
            cands.append(key)
    for k in cands:
        if a.names is not None and ck.member(a.names, k) is not True:
            continue
        sa, sb = schema_for(a, k), schema_for(b, k)
        if sb is None or sa is FALSE:
            continue
        r, cex = ck.incl(sa if sa is not None else ck.ANY, sb)
        if r is False:
            s = sample(ck, a, set_key=k, value=cex)
            if s is not None and member(ck, b, s) is False:
                return False, s
    if b.declared:
        return None, None
    if a_pats or b_pats:
        return _same_patterns(ck, a, b)
    # No patterns: every unnamed key is treated alike on each side.
    fresh = "\0fresh"
    sa, sb = schema_for(a, fresh), schema_for(b, fresh)
    if sb is None or sa is FALSE:
        return True, None
    if a.names is not None:
        return None, None  # the unnamed keys a allows may all be excluded by its propertyNames
    r, _ = ck.incl(sa if sa is not None else ck.ANY, sb)
    return (True, None) if r is True else (None, None)


def _same_patterns(ck: Checker, a: Obj, b: Obj) -> tuple[bool | None, Any]:
    """Sufficient rule for unnamed keys when both sides list the same patterns: each
    pattern's schema and ``additionalProperties`` included one by one."""
    if len(a.rules) != 1 or len(b.rules) != 1 or a.declared:
        return None, None
    ra, rb = a.rules[0], b.rules[0]
    pa, pb = dict(ra.patterns), dict(rb.patterns)
    if set(pa) != set(pb) or a.names is not None:
        return None, None
    for p, lz in pa.items():
        if ck.incl(lz, pb[p])[0] is not True:
            return None, None
    if rb.additional is not None and ck.incl(ra.additional or ck.ANY, rb.additional)[0] is not True:
        return None, None
    return True, None


def _names(ck: Checker, a: Obj, b: Obj, keys: list[str]) -> tuple[bool | None, Any]:
    assert b.names is not None
    unknown = False
    for k in keys:
        sa = schema_for(a, k)
        if sa is FALSE or (sa is not None and ck.is_empty(sa)):
            continue
        if a.names is not None and ck.member(a.names, k) is not True:
            continue
        m = ck.member(b.names, k)
        if m is False:
            s = sample(ck, a, set_key=k, value=_value_for(ck, a, k))
            if s is not None and member(ck, b, s) is False:
                return False, s
            unknown = True
        elif m is None:
            unknown = True
    if _closed(a):
        return (None, None) if unknown else (True, None)
    r, cex = ck.incl(a.names if a.names is not None else ck.STRINGS, b.names)
    if r is False and isinstance(cex, str):
        s = sample(ck, a, set_key=cex, value=_value_for(ck, a, cex))
        if s is not None and member(ck, b, s) is False:
            return False, s
        return None, None
    return (None, None) if unknown or r is not True else (True, None)


def _size(ck: Checker, a: Obj, b: Obj, keys: list[str]) -> tuple[bool | None, Any]:
    unknown = False
    if b.lo > 0:
        least = max(a.lo, len(a.required))
        if least < b.lo:
            s = sample(ck, a, size=least)
            if s is not None and member(ck, b, s) is False:
                return False, s
            unknown = True
    if b.hi is not None:
        most = a.hi
        if _closed(a):
            allowed = sum(1 for k in keys if schema_for(a, k) is not FALSE)
            most = allowed if most is None else min(most, allowed)
        if most is None or most > b.hi:
            s = sample(ck, a, size=b.hi + 1)
            if s is not None and member(ck, b, s) is False:
                return False, s
            unknown = True
    return (None, None) if unknown else (True, None)


def empty(ck: Checker, a: Obj) -> bool:
    """Provably no object."""
    if a.hi is not None and (a.lo > a.hi or len(a.required) > a.hi):
        return True
    for k in a.required:
        s = schema_for(a, k)
        if s is FALSE or (s is not None and ck.is_empty(s)):
            return True
    return False
