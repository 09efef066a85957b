"""Generate registry/syntax/unicode_tables.json: ``\\p{…}`` sets as jsonschema-rs applies them.

Every Unicode scalar value is run through a jsonschema-rs ``{"pattern": "^\\\\p{X}$"}``
validator, so the tables hold exactly what the validator accepts (its Unicode version, not
Python's). tests/unit/test_patterns.py re-checks the tables against jsonschema-rs.

    python scripts/unicode_tables.py          # rewrite the file (about a minute)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jsonschema_rs

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from registry.syntax.unicode_tables import TABLE_KEYS, WORD_KEY

OUT = Path(__file__).resolve().parent.parent / "registry" / "syntax" / "unicode_tables.json"


def probe(key: str) -> list[int] | None:
    """Intervals (flat: lo, hi, lo, hi, …) of the code points ``\\p{key}`` matches.

    None when jsonschema-rs refuses the property (``\\p{Cs}``): no schema can use it.
    ``WORD_KEY``: the characters ``\\b`` takes for word characters (``^\\b.$`` matches c
    exactly when c is one: the start of the string counts as a non-word position).
    """
    pattern = r"^\b.$" if key == WORD_KEY else f"^\\p{{{key}}}$"
    try:
        validator = jsonschema_rs.validator_for({"pattern": pattern})
    except jsonschema_rs.ValidationError:
        return None
    flat: list[int] = []
    inside = False
    for code in range(0x110000):
        member = not 0xD800 <= code <= 0xDFFF and validator.is_valid(chr(code))
        if member and not inside:
            flat.append(code)
        elif not member and inside:
            flat.append(code - 1)
        inside = member
    if inside:
        flat.append(0x10FFFF)
    return flat


def main() -> None:
    probed = {key: probe(key) for key in [*TABLE_KEYS, WORD_KEY]}
    tables = {key: flat for key, flat in probed.items() if flat is not None}
    refused = sorted(set(probed) - set(tables))
    text = json.dumps(tables, separators=(",", ":"), sort_keys=True)
    OUT.write_text(text + "\n", encoding="utf-8")
    print(f"{OUT}: {len(tables)} properties, {len(text) // 1024} KiB; refused: {refused}")


if __name__ == "__main__":
    main()
