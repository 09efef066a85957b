"""The one place a jsonschema-rs validator is made, with ``pattern`` as close to ECMA-262 as it goes.

jsonschema-rs compiles ``pattern`` and ``patternProperties`` with one of two Rust engines, chosen
per validator (``pattern_options=``), never per pattern:

- ``RegexOptions`` — the ``regex`` crate: no look-arounds, no back-references, and a matcher
  whose languages are exactly the regular expression's. **Used whenever every pattern of the
  schema compiles under it.**
- ``FancyRegexOptions`` — fancy-regex (jsonschema-rs's default): look-arounds and
  back-references, but its optimiser rewrites ``X+ M? X+`` into ``X+ (M X+)?``, so
  ``^\\d+-?\\d+$`` accepts "1" where ECMA-262 (and the resident's browser) rejects it
  (``registry/diff/regex/fancy.py``). **Only a schema that holds a pattern the regex crate
  refuses** (a look-around, a back-reference) falls back to it — then for all its patterns;
  lint reports such patterns (``lint.pattern-engine-divergence``).

Measured on jsonschema-rs 0.60 (docs/diff.md "Patterns"), both engines translate ECMA-262's
``\\d``/``\\w``/``\\s`` to its ASCII/ECMA classes (「３」 fails ``^\\d$``), and ``$`` is the end of
the string. Two departures remain with either engine, reported by the same lint rule: ``.``
matches CR, U+2028 and U+2029 (ECMA-262 without ``s``: it does not), and ``\\b``/``\\B`` use
Unicode word characters (ECMA-262 with ``u`` and without ``i``: ``[A-Za-z0-9_]``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jsonschema_rs

Retriever = Callable[[str], Any]


def compile_schema(schema: Any, *, validate_formats: bool = False,
                   retriever: Retriever | None = None) -> jsonschema_rs.Validator:
    """A 2020-12 validator of ``schema`` (the regex crate when it can; see the module text).

    Raises what jsonschema-rs raises (``ValidationError``, ``ValueError``) when the schema
    cannot be compiled with either engine — the fancy-regex attempt's error, which names the
    offending keyword as before.
    """
    kwargs: dict[str, Any] = {"validate_formats": validate_formats}
    if retriever is not None:
        kwargs["retriever"] = retriever
    try:
        return jsonschema_rs.Draft202012Validator(
            schema, pattern_options=jsonschema_rs.RegexOptions(), **kwargs)
    except (ValueError, jsonschema_rs.ValidationError):
        pass  # a pattern the regex crate refuses (or a schema that fails either way)
    return jsonschema_rs.Draft202012Validator(
        schema, pattern_options=jsonschema_rs.FancyRegexOptions(), **kwargs)


def regex_crate_accepts(pattern: str) -> bool:
    """Whether jsonschema-rs compiles ``pattern`` with the regex crate (no fancy-regex fallback)."""
    try:
        jsonschema_rs.Draft202012Validator({"pattern": pattern},
                                           pattern_options=jsonschema_rs.RegexOptions())
    except Exception:  # ValidationError, or anything the binding raises on odd text
        return False
    return True



def divergences(pattern: str) -> list[str]:
    """Where the validator's reading of ``pattern`` departs from ECMA-262's (the browser's).

    ``"dot"``: a ``.`` outside a class (the validator lets CR, U+2028 and U+2029 through);
    ``"boundary"``: ``\\b``/``\\B`` outside a class (Unicode word characters on the validator);
    ``"fancy"``: the regex crate refuses it but fancy-regex runs it (a look-around, a
    back-reference), so the whole schema runs on fancy-regex and its ``X+ M? X+`` rewrite.
    Empty for a pattern jsonschema-rs refuses altogether. Classes are skipped, escapes read as
    pairs; ``pattern`` is assumed to be valid ECMA-262 (lint checks that first).
    """
    found: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            if not in_class and pattern[i + 1:i + 2] in ("b", "B") and "boundary" not in found:
                found.append("boundary")
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "." and "dot" not in found:
            found.append("dot")
        i += 1
    if not regex_crate_accepts(pattern):
        try:
            compile_schema({"pattern": pattern})
        except Exception:  # refused by both engines: no schema holding it validates at all
            return []
        found.append("fancy")
    return found
