"""msgspec Structs shared by every layer: issues found in templates and submissions."""

from __future__ import annotations

from typing import Literal

import msgspec

Severity = Literal["error", "warning", "info"]


class Issue(msgspec.Struct, omit_defaults=True, kw_only=True):
    """One problem found in a template, a schema or a submission.

    `pointer` is a JSON pointer into the document named by `file` ("" is the whole document).
    `rule` is a stable id (e.g. ``schema.invalid``, ``lint.title-missing``) that users can turn
    off and that CI output keys on.
    """

    rule: str
    message: str
    message_ja: str
    severity: Severity = "error"
    pointer: str = ""
    file: str | None = None
    line: int | None = None
    column: int | None = None
    hint: str | None = None
    hint_ja: str | None = None
    # For submissions: which record (1-based line of a JSONL file, row of a CSV, index of an array).
    record: int | None = None

    def text(self, lang: str) -> str:
        """The message in the requested language (``ja`` or ``en``)."""
        return self.message_ja if lang == "ja" else self.message

    def hint_text(self, lang: str) -> str | None:
        """The fix hint in the requested language, if any."""
        return self.hint_ja if lang == "ja" else self.hint


def has_errors(issues: list[Issue]) -> bool:
    """True when any issue is an error (warnings and infos do not fail a check)."""
    return any(i.severity == "error" for i in issues)
