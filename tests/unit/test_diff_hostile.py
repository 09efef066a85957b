"""Hostile input to the diff engine: a clear error or ``unknown``, never a hang or a traceback.

Self-referential ``$ref`` through ``allOf``, 1,000-deep nesting, 10,000 enum values and schemas
with keywords of the wrong type, in process (``registry.diff.diff``) and through the CLI in a
subprocess (exit 0, 1 or 2; no ``Traceback`` on stderr). Each test has a pytest-timeout.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from registry.errors import RegistryError

SELF_ALLOF = {"$defs": {"a": {"allOf": [{"$ref": "#/$defs/a"}]}}, "$ref": "#/$defs/a"}
SELF_ROOT = {"type": "object", "allOf": [{"$ref": "#"}]}
MUTUAL = {"$defs": {"a": {"allOf": [{"$ref": "#/$defs/b"}]}, "b": {"anyOf": [{"$ref": "#/$defs/a"}]}},
          "$ref": "#/$defs/a"}


def nested(depth: int, leaf: Any, via: str = "properties") -> Any:
    """A schema nested ``depth`` levels through ``properties``, ``items`` or ``allOf``."""
    node = leaf
    for _ in range(depth):
        if via == "properties":
            node = {"type": "object", "properties": {"a": node}}
        elif via == "items":
            node = {"type": "array", "items": node}
        else:
            node = {"allOf": [node]}
    return node


BIG = [f"選択肢{i:05d}" for i in range(10_000)]

# (id, old, new, truth backward, truth forward): truth None = not defined (invalid schema).
HOSTILE: list[tuple[str, Any, Any, str | None, str | None]] = [
    ("self_allof_identical", SELF_ALLOF, SELF_ALLOF, "compatible", "compatible"),
    # A schema that is only itself has no agreed value set (validators recurse forever; least
    # and greatest fixpoints differ), so only the identical pairs have a truth.
    ("self_allof_vs_string", SELF_ALLOF, {"type": "string"}, None, None),
    ("self_allof_with_sibling", SELF_ALLOF, {**SELF_ALLOF, "maxLength": 3}, None, None),
    ("self_root_identical", SELF_ROOT, SELF_ROOT, "compatible", "compatible"),
    ("self_root_narrowed", SELF_ROOT, {**SELF_ROOT, "required": ["x"]}, None, None),
    ("mutual_allof_anyof", MUTUAL, MUTUAL, "compatible", "compatible"),
    ("deep_1000_properties_identical", nested(1000, {"type": "string"}), nested(1000, {"type": "string"}), "compatible", "compatible"),
    ("deep_1000_properties_narrowed", nested(1000, {"type": "string"}), nested(1000, {"type": "string", "maxLength": 1}), "breaking", "compatible"),
    ("deep_1000_items_narrowed", nested(1000, {"type": "number"}, "items"), nested(1000, {"type": "integer"}, "items"), "breaking", "compatible"),
    ("deep_1000_allof_widened", nested(1000, {"type": "integer"}, "allOf"), nested(1000, {"type": "number"}, "allOf"), "compatible", "breaking"),
    ("enum_10000_identical", {"enum": BIG}, {"enum": list(reversed(BIG))}, "compatible", "compatible"),
    ("enum_10000_one_removed", {"enum": BIG}, {"enum": BIG[:5000] + BIG[5001:]}, "breaking", "compatible"),
    ("enum_10000_one_added", {"enum": BIG}, {"enum": [*BIG, "追加"]}, "compatible", "breaking"),
    ("enum_10000_numbers", {"enum": list(range(10_000))}, {"enum": [float(i) for i in range(10_000)]}, "compatible", "compatible"),
    ("invalid_type_number", {"type": 5}, {"type": "string"}, None, None),
    ("invalid_type_unknown_name", {"type": "text"}, {"type": "string"}, None, None),
    ("invalid_minimum_string", {"minimum": "x"}, {"minimum": 1}, None, None),
    ("invalid_properties_list", {"properties": []}, {"properties": {}}, None, None),
    ("invalid_required_string", {"required": "a"}, {"required": ["a"]}, None, None),
    ("invalid_enum_scalar", {"enum": 3}, {"enum": [3]}, None, None),
    ("invalid_ref_number", {"$ref": 5}, {"type": "string"}, None, None),
    ("invalid_ref_missing", {"$ref": "#/$defs/nope"}, {"type": "string"}, None, None),
    ("invalid_ref_remote", {"$ref": "https://example.com/x.json"}, {"type": "string"}, None, None),
    ("invalid_allof_object", {"allOf": {}}, {"allOf": [{}]}, None, None),
    ("invalid_items_number", {"items": 3}, {"items": {}}, None, None),
    ("invalid_pattern_regex", {"type": "string", "pattern": "("}, {"type": "string", "pattern": "a"}, None, None),
    ("invalid_multiple_of_zero", {"multipleOf": 0}, {"multipleOf": 2}, None, None),
    ("invalid_max_length_negative", {"maxLength": -1}, {"maxLength": 1}, None, None),
    ("invalid_root_number", 3, {"type": "string"}, None, None),
    ("invalid_root_list", [], {"type": "string"}, None, None),
    ("invalid_root_null", None, {"type": "string"}, None, None),
    ("invalid_nested_type", {"properties": {"a": {"type": ["string", 1]}}}, {"properties": {"a": {"type": "string"}}}, None, None),
]
IDS = [h[0] for h in HOSTILE]


def _check_result(backward: str, forward: str, truth_b: str | None, truth_f: str | None) -> None:
    for direction, answer, truth in (("backward", backward, truth_b), ("forward", forward, truth_f)):
        assert answer in ("compatible", "breaking", "unknown"), answer
        if truth is None:
            continue
        # Sound: never compatible where the truth is breaking; unknown is always acceptable here.
        if truth == "breaking":
            assert answer != "compatible", f"UNSOUND {direction}"
        elif answer == "breaking":
            pytest.fail(f"{direction}: breaking where the truth is compatible")


@pytest.mark.timeout(30)
@pytest.mark.parametrize(("name", "old", "new", "truth_b", "truth_f"), HOSTILE, ids=IDS)
def test_engine_hostile(name: str, old: Any, new: Any, truth_b: str | None, truth_f: str | None) -> None:
    """In process: a Diff (sound) or a RegistryError; never RecursionError or another exception."""
    from registry.diff import Policy, diff

    for policy in ("lenient", "strict"):
        error: RegistryError | None = None
        try:
            result = diff(old, new, Policy(policy))
        except RegistryError as exc:
            error = exc
        if error is not None:
            # A clear refusal is acceptable for every hostile input (a limit, a cycle, bad input).
            assert error.detail
            assert error.issues or error.detail_ja
            continue
        if truth_b is None and name.startswith("invalid_"):
            # Invalid input accepted: then it must not claim the schemas compare cleanly.
            assert "unknown" in (result.backward, result.forward) or result.changes, \
                f"invalid schema compared as {result.backward}/{result.forward} with no changes"
        _check_result(result.backward, result.forward, truth_b, truth_f)


def _dump(value: Any) -> str:
    """JSON text of a possibly 1,000-deep value (the json module recurses once per level)."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 20_000))
    try:
        return json.dumps(value, ensure_ascii=False)
    finally:
        sys.setrecursionlimit(limit)


CLI_CASES = [pytest.param(*h, id=h[0]) for h in HOSTILE
             if h[0].startswith(("self_", "deep_1000_properties_narrowed", "enum_10000_one_removed",
                                 "invalid_type_number", "invalid_ref_remote", "invalid_root",
                                 "invalid_pattern"))]


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("name", "old", "new", "truth_b", "truth_f"), CLI_CASES)
def test_cli_hostile(name: str, old: Any, new: Any, truth_b: str | None, truth_f: str | None,
                     run_cli: Any, tmp_path: Path) -> None:
    """Through ``yoshiki diff --format json`` in a subprocess: exit 0/1/2, JSON or a message, no traceback."""
    (tmp_path / "old.json").write_text(_dump(old), encoding="utf-8")
    (tmp_path / "new.json").write_text(_dump(new), encoding="utf-8")
    for policy in ("lenient", "strict"):
        proc = run_cli("diff", tmp_path / "old.json", tmp_path / "new.json", "--format", "json",
                       "--policy", policy, timeout=100)
        assert "Traceback" not in proc.stderr, proc.stderr
        assert proc.returncode in (0, 1, 2), (proc.returncode, proc.stderr)
        if proc.returncode == 0:
            body = json.loads(proc.stdout)
            _check_result(body["backward"], body["forward"], truth_b, truth_f)
        else:
            assert proc.stderr.strip(), "a refusal must say why on stderr"
