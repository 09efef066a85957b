"""Property-based soundness of the diff engine: ``compatible`` is never a lie.

For random schema pairs, whenever ``diff(old, new)`` says backward ``compatible``, no value valid
under OLD is rejected by NEW; for forward ``compatible``, no value valid under NEW is rejected by
OLD (validated with jsonschema-rs). Every witness the engine attaches must discriminate too.

Pairs: a random form-like schema (``diffcheck.schemas.forms``: typed fields with bounds, enums,
patterns from a small safe set, nested objects, arrays of choices, ``anyOf``, a field through
``$defs``) and 1–3 random edits of it, in either order; and edits of the catalogue's schemas
(``templates_repo/**/schema.json``, ``$ref``s to common definitions resolved by the SchemaSet the
engine and the validator share).

Values: ``diffcheck.values`` (hypothesis-jsonschema cannot generate 2020-12 objects with the
installed Hypothesis), kept only when the source side accepts them. Under ``lenient`` only values
carrying declared properties count (docs/diff.md: submissions carry only properties their version
declares); under ``strict`` objects also get extra keys named anywhere in either schema.

Settings: ``max_examples=150`` per test, up to 8 values per direction per example, no deadline
(a CI machine's first example pays for imports), no example database (CI runs are independent);
run with ``--hypothesis-seed=N`` to reproduce.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from diffcheck.lenient import declared_only
from diffcheck.schemas import forms, mutation, property_names
from diffcheck.values import Context, values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.syntax.refs import Resolver, SchemaSet

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "templates_repo"
VALUES_PER_DIRECTION = 8
SETTINGS = settings(max_examples=150, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large])


def _catalogue_schemas() -> list[Any]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(CATALOGUE.glob("*/*/*/schema.json"))]


CATALOGUE_SCHEMAS = _catalogue_schemas()


def check_pair(data: st.DataObject, old: Any, new: Any, policy: str,
               schemas: SchemaSet | None = None) -> None:
    """Diff the pair; refute each ``compatible`` direction with generated values, check witnesses."""
    from registry.diff import Policy, diff

    result = diff(old, new, Policy(policy), old_schemas=schemas, new_schemas=schemas)
    retrieve = (schemas or SchemaSet()).retrieve
    v_old = jsonschema_rs.validator_for(old, retriever=retrieve)
    v_new = jsonschema_rs.validator_for(new, retriever=retrieve)
    for change in result.changes:
        if change.witness is not None:
            accepts, rejects = (v_old, v_new) if change.witness.accepted_by == "old" else (v_new, v_old)
            value = change.witness.value
            assert accepts.is_valid(value), f"witness of {change.kind} rejected by its own side: {value!r}"
            assert not rejects.is_valid(value), f"witness of {change.kind} accepted by both: {value!r}"
    pool = property_names(old, new)
    for direction, src, v_src, v_dst in (("backward", old, v_old, v_new), ("forward", new, v_new, v_old)):
        if getattr(result, direction) != "compatible":
            continue
        resolver = Resolver(src, schemas)
        strategy = values([(resolver.root_uri, src)], Context(resolver, policy == "strict", pool))
        kept = 0
        for _ in range(VALUES_PER_DIRECTION * 2):
            value = data.draw(strategy, label=f"{direction} value")
            if not v_src.is_valid(value):
                continue
            if policy == "lenient" and not declared_only(value, src, resolver):
                continue
            kept += 1
            assert v_dst.is_valid(value), (
                f"UNSOUND {direction}: engine says compatible, but {json.dumps(value, ensure_ascii=False)} "
                f"is accepted by {'OLD' if direction == 'backward' else 'NEW'} and rejected by the other\n"
                f"old={json.dumps(old, ensure_ascii=False)}\nnew={json.dumps(new, ensure_ascii=False)}\n"
                f"changes={[(c.pointer, c.kind, c.backward, c.forward) for c in result.changes]}")
            if kept >= VALUES_PER_DIRECTION:
                break


@pytest.mark.parametrize("policy", ["lenient", "strict"])
@SETTINGS
@given(data=st.data())
def test_random_form_pairs_are_sound(policy: str, data: st.DataObject) -> None:
    """A random form and an edited copy, in either order."""
    base = data.draw(forms(), label="base")
    edited = data.draw(mutation(base), label="edited")
    old, new = (base, edited) if data.draw(st.booleans(), label="swap") else (edited, base)
    check_pair(data, old, new, policy)


@pytest.mark.parametrize("policy", ["lenient", "strict"])
@SETTINGS
@given(data=st.data())
def test_catalogue_mutations_are_sound(policy: str, data: st.DataObject) -> None:
    """A catalogue schema and an edited copy (common definitions resolved through the SchemaSet)."""
    schema = data.draw(st.sampled_from(CATALOGUE_SCHEMAS), label="catalogue schema")
    edited = data.draw(mutation(schema), label="edited")
    old, new = (schema, edited) if data.draw(st.booleans(), label="swap") else (edited, schema)
    check_pair(data, old, new, policy, SchemaSet.for_folder(CATALOGUE))
