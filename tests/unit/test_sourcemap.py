"""JSON pointer → line/column: literal positions, tolerance of broken text, and a property test."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from registry.syntax import pointers
from registry.syntax.sourcemap import locate, pointer_positions

TEXT = """{
  "title": "欠席連絡",
  "properties": {
    "a/b": {"type": "string"},
    "q\\"x": [1, {"k~": true}]
  }
}
"""


def test_positions_are_literal() -> None:
    """Members point at their key, elements at their value; columns count characters."""
    assert pointer_positions(TEXT) == {
        "": (1, 1),
        "/title": (2, 3),
        "/properties": (3, 3),
        "/properties/a~1b": (4, 5),
        "/properties/a~1b/type": (4, 13),
        '/properties/q"x': (5, 5),
        '/properties/q"x/0': (5, 14),
        '/properties/q"x/1': (5, 17),
        '/properties/q"x/1/k~0': (5, 18),
    }


def test_columns_count_characters_not_bytes() -> None:
    """Japanese text before a key does not shift the column by its UTF-8 length."""
    assert pointer_positions('{"氏名": 1, "b": 2}')["/b"] == (1, 11)


def test_locate_falls_back_to_nearest_parent() -> None:
    """A pointer to something absent (a missing required field) lands on its parent."""
    assert locate(TEXT, "/properties/a~1b/maxLength") == (4, 5)
    assert locate(TEXT, "/nothing/here") == (1, 1)
    assert locate("", "/a") is None


def test_broken_text_keeps_the_valid_prefix() -> None:
    """A syntax error stops the scan quietly; what came before keeps its position."""
    positions = pointer_positions('{\n  "a": 1,\n  "b": [1, 2,,]\n}')
    assert positions["/a"] == (2, 3)
    assert positions["/b/1"] == (3, 12)
    assert "/b/2" not in positions


def test_bom_and_escaped_backslash() -> None:
    """A BOM is skipped; a string ending in an escaped backslash ends where it should."""
    positions = pointer_positions('\ufeff{"a": "x\\\\", "b": 1}')
    assert positions["/b"] == (1, 15)


def _pointers(value: Any, prefix: str = "") -> list[str]:
    found = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            found += _pointers(v, prefix + "/" + pointers.escape(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _pointers(v, f"{prefix}/{i}")
    return found


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(value=JSON, indent=st.sampled_from([None, 1, 2]), ascii_only=st.booleans())
def test_every_pointer_is_found_at_its_text(value: Any, indent: int | None, ascii_only: bool) -> None:
    """Every pointer of the document is mapped, and to the start of its key or value."""
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    positions = pointer_positions(text)
    lines = text.split("\n")
    assert set(positions) == set(_pointers(value))
    for pointer, (line, column) in positions.items():
        rest = lines[line - 1][column - 1:]
        target = pointers.resolve(value, pointer)
        last = pointers.split(pointer)[-1] if pointer else None
        parent = pointers.resolve(value, pointer[: pointer.rfind("/")]) if pointer else None
        if isinstance(parent, dict):
            assert json.loads(rest[: len(json.dumps(last, ensure_ascii=ascii_only))]) == last
        else:
            assert rest[:1] == (json.dumps(target, indent=indent, ensure_ascii=ascii_only)[:1])
