"""The official JSON Schema Test Suite (a selection, tests/data/json-schema-test-suite) as an
oracle for the dialect rewrite and the reference normal form.

For every schema of the selection, read in its folder's draft:
- its 2020-12 normal form (``to_2020_12`` + ``canonical_refs``) gives the suite's expected answer
  for every test instance under jsonschema-rs's 2020-12 validator — or it still holds an opaque
  reference (dynamic scope with several anchors, a remote document such as a meta-schema), and
  then jsonschema-rs cannot compile it and the diff answers by identity;
- diffing it against a copy of itself raises nothing and is never ``breaking``.
Nothing is fetched: any retrieval raises.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from registry.diff import Policy, diff
from registry.diff.dialects import to_2020_12
from registry.diff.references import canonical_refs

SUITE = Path(__file__).resolve().parents[2] / "tests" / "data" / "json-schema-test-suite"
URIS = {"draft4": "http://json-schema.org/draft-04/schema#", "draft6": "http://json-schema.org/draft-06/schema#",
        "draft7": "http://json-schema.org/draft-07/schema#",
        "draft2019-09": "https://json-schema.org/draft/2019-09/schema",
        "draft2020-12": "https://json-schema.org/draft/2020-12/schema"}


def _no_network(uri: str) -> Any:
    raise ValueError(f"no network in tests: {uri}")


def _groups() -> list[Any]:
    out = []
    for draft in URIS:
        for path in sorted((SUITE / draft).glob("*.json")):
            for i, group in enumerate(json.loads(path.read_text(encoding="utf-8"))):
                out.append(pytest.param(draft, group, id=f"{draft}/{path.stem}/{i}"))
    return out


GROUPS = _groups()


def _in_draft(draft: str, schema: Any) -> Any:
    """The suite's folders name the draft; its schemas mostly do not say it themselves."""
    if isinstance(schema, dict) and "$schema" not in schema:
        return {"$schema": URIS[draft], **schema}
    return schema


def test_selection_is_there() -> None:
    """All five drafts, a few hundred instances (so the tests below cannot pass vacuously)."""
    assert {p.values[0] for p in GROUPS} == set(URIS)
    assert sum(len(p.values[1]["tests"]) for p in GROUPS) > 800


@pytest.mark.parametrize(("draft", "group"), GROUPS)
def test_normal_form_gives_the_suites_answers(draft: str, group: dict[str, Any]) -> None:
    """Every instance: the suite's expected validity, under the 2020-12 normal form."""
    schema = _in_draft(draft, group["schema"])
    normal = canonical_refs(to_2020_12(schema)[0])
    try:
        validator = jsonschema_rs.Draft202012Validator(normal, retriever=_no_network)
    except Exception:
        assert '"$dynamicRef"' in json.dumps(normal), "only an opaque reference may stay unresolved"
        return
    wrong = [t["description"] for t in group["tests"] if validator.is_valid(t["data"]) != t["valid"]]
    assert wrong == []


@pytest.mark.parametrize(("draft", "group"), GROUPS)
def test_diff_against_itself_never_fails(draft: str, group: dict[str, Any]) -> None:
    """The engine answers (compatible, or unknown where it is conservative), never an error."""
    schema = _in_draft(draft, group["schema"])
    d = diff(schema, copy.deepcopy(schema), Policy("strict"))
    assert "breaking" not in (d.backward, d.forward)
