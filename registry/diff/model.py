"""The diff's data: policies, changes, witnesses, diffs and compatibility results (msgspec)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import msgspec

from registry.versioning import Bump

Verdict = Literal["compatible", "breaking", "unknown"]
PolicyName = Literal["lenient", "strict"]

MODES = ("BACKWARD", "FORWARD", "FULL", "NONE",
         "BACKWARD_TRANSITIVE", "FORWARD_TRANSITIVE", "FULL_TRANSITIVE")


class Policy(msgspec.Struct, frozen=True):
    """How the engine reads a schema where tools disagree (see docs/diff.md "Policies").

    ``name``: ``lenient`` (default: submissions carry only properties their version declares)
    or ``strict`` (pure set inclusion over every JSON value).
    """

    name: PolicyName = "lenient"
    format_assertion: bool = False
    default_is_annotation: bool = True

    @classmethod
    def strict(cls, **kw: Any) -> Policy:
        """Pure set inclusion."""
        return cls("strict", **kw)

    @classmethod
    def lenient(cls, **kw: Any) -> Policy:
        """Submitters emit only declared properties (what a form does)."""
        return cls("lenient", **kw)

    @property
    def is_strict(self) -> bool:
        """True for the strict policy."""
        return self.name == "strict"


class Witness(msgspec.Struct, frozen=True):
    """A whole instance accepted by one side and rejected by the other (checked by validation)."""

    value: Any
    accepted_by: Literal["old", "new"]


class Change(msgspec.Struct, kw_only=True):
    """One semantic change at a place in the schema, with a verdict for each direction."""

    pointer: str
    kind: str
    before: Any
    after: Any
    backward: Verdict
    forward: Verdict
    message: str = ""
    message_ja: str = ""
    witness: Witness | None = None
    # Instance location ("/address/postal_code"; "*" for any array element) and field title.
    field: str = ""
    title: str | None = None
    # True when the change cannot alter which values are valid (annotations, $ref renames).
    cosmetic: bool = False
    # True when the change alters behaviour without altering validity (a non-annotation default).
    behavioural: bool = False
    # The display label of an enum value (x-yoshiki-enum-labels), for messages.
    value_label: str | None = None
    # The witness shown as a filled form (「区分: 早退、時刻: （空欄）」), Japanese and English;
    # not part of the JSON contract (``witness`` keeps the raw value).
    witness_form_ja: str | None = None
    witness_form_en: str | None = None


class Diff(msgspec.Struct, kw_only=True):
    """The semantic difference between two schemas."""

    backward: Verdict
    forward: Verdict
    bump: Bump
    changes: list[Change]
    mode: str = "BACKWARD"
    policy: str = "lenient"


class CompatResult(msgspec.Struct, kw_only=True):
    """Whether a new version satisfies a compatibility mode against earlier versions."""

    ok: bool
    verdict: Verdict
    mode: str
    diffs: list[Diff]


def combine(verdicts: Iterable[Verdict]) -> Verdict:
    """breaking if any is breaking, else unknown if any is unknown, else compatible."""
    out: Verdict = "compatible"
    for v in verdicts:
        if v == "breaking":
            return "breaking"
        if v == "unknown":
            out = "unknown"
    return out

