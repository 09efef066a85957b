"""The one compatibility rule: the declared version against the diff, and the mode in a major line.

Used by the registry's publish (``registry/service.py``), by ``yoshiki ci``
(``registry/checks/repository.py``), by ``yoshiki compat`` and, for the default mode, by the
diff page and the diff endpoint. The caller reads the schemas and runs the diffs; this module
decides, and words the answer as ``Issue``s. Pure: no web, SQL or git.

The rule (docs/diff.md "Bump rule", docs/versioning in README):

- The mode is the one the NEW version's template.json declares (default ``BACKWARD``).
- The declared version must be at least the bump the diff against the latest earlier version
  requires under that mode. ``NONE`` relaxes the mode, not SemVer: data collected under the
  previous version that the new one rejects still needs a major version.
- Within one major line every release keeps the mode against the latest earlier release of the
  line (transitive modes: against every earlier release of the line, since data was collected
  under each). A new major version may break it: that is what a major version says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from registry.diff import (
    MODES,
    Change,
    CompatResult,
    Diff,
    Verdict,
    combine_verdicts,
    mode_directions,
)
from registry.layout import VersionKey
from registry.models import Issue
from registry.versioning import BUMP_ORDER, Bump, Version

__all__ = ["BUMP_EN", "BUMP_JA", "DEFAULT_MODE", "MODES", "Assessment", "Plan", "assess", "change_text",
           "compatibility_issues", "deciding_changes", "mode_of", "mode_verdict", "plan"]

DEFAULT_MODE = "BACKWARD"
BUMP_JA: dict[str, str] = {"none": "変更なし", "patch": "パッチ", "minor": "マイナー", "major": "メジャー"}
BUMP_EN: dict[str, str] = {"none": "no change", "patch": "patch", "minor": "minor", "major": "major"}

Locate = Callable[[str], tuple[int | None, int | None]]
"""``pointer -> (line, column)`` in the new schema's file, for issues."""


def mode_of(template: Any) -> str:
    """The compatibility mode a template.json declares (DEFAULT_MODE when absent or unknown)."""
    mode = template.get("compatibility") if isinstance(template, dict) else None
    return mode if isinstance(mode, str) and mode in MODES else DEFAULT_MODE


@dataclass(frozen=True)
class Plan:
    """Which earlier versions a new version is compared with."""

    previous: str | None                  # the latest earlier version: the bump is measured from it
    compared: list[str] = field(default_factory=list)  # the mode is checked against these


def plan(version: str, earlier: Iterable[str], mode: str) -> Plan:
    """The previous version, and the releases of the same major line the mode binds."""
    mine = Version.parse(version)
    before = sorted((v for v in earlier if Version.parse(v) < mine), key=Version.parse)
    if not before:
        return Plan(previous=None)
    line = [v for v in before if Version.parse(v).major == mine.major]
    compared = [] if mode == "NONE" else line if mode.endswith("_TRANSITIVE") else line[-1:]
    return Plan(previous=before[-1], compared=compared)


def required_for(d: Diff, mode: str) -> Bump:
    """The bump a diff requires under a mode (NONE still requires SemVer's backward rule)."""
    from registry.diff import required_bump

    return required_bump(d, "BACKWARD" if mode == "NONE" else mode)


def is_bad(change: Change, mode: str) -> bool:
    """True when the change is not compatible in a direction the mode needs."""
    need_b, need_f = mode_directions(mode)
    return (need_b and change.backward != "compatible") or (need_f and change.forward != "compatible")


def deciding_changes(d: Diff, mode: str) -> list[Change]:
    """The changes of ``d`` that decide a verdict under ``mode``."""
    return [c for c in d.changes if is_bad(c, mode)]


def mode_verdict(diffs: Sequence[Diff], mode: str) -> Verdict:
    """The verdict of a mode over diffs (old → new): only the directions the mode needs count."""
    need_b, need_f = mode_directions(mode)
    verdicts = [v for d in diffs for v, need in ((d.backward, need_b), (d.forward, need_f)) if need]
    return combine_verdicts(verdicts)


@dataclass
class Assessment:
    """What the rule says about one new version."""

    version: str
    mode: str
    previous: str
    declared: Bump
    required: Bump
    diff: Diff                                   # against ``previous``
    compat: CompatResult                         # against ``compared``
    compared: list[str]

    @property
    def bump_too_small(self) -> bool:
        """The declared version is a smaller step than the diff requires."""
        return BUMP_ORDER[self.declared] < BUMP_ORDER[self.required]

    @property
    def mode_broken(self) -> bool:
        """The mode does not hold against the releases of the major line."""
        return not self.compat.ok and self.mode != "NONE"

    @property
    def suggested(self) -> str:
        """The version to publish instead (bump too small: from previous; mode broken: next major)."""
        if self.bump_too_small:
            return str(Version.parse(self.previous).bumped(self.required))
        return str(Version(Version.parse(self.version).major + 1, 0, 0))

    @property
    def ok(self) -> bool:
        """Neither too small a bump nor a broken mode."""
        return not self.bump_too_small and not self.mode_broken

    def bad_changes(self) -> list[Change]:
        """The changes that make the bump too small (breaking ones first)."""
        bad = [c for c in self.diff.changes if is_bad(c, self.mode if self.mode != "NONE" else "FULL")]
        if not bad:
            bad = [c for dd in self.compat.diffs for c in dd.changes if is_bad(c, self.mode)]
        if not bad:
            bad = [c for c in self.diff.changes if not c.cosmetic] or list(self.diff.changes)
        return bad

    def breaking_against(self) -> list[tuple[str, Change]]:
        """(earlier version, change) for each change that breaks the mode, once per place."""
        seen: set[tuple[str, str]] = set()
        out: list[tuple[str, Change]] = []
        for dd, old in zip(self.compat.diffs, self.compared, strict=False):
            for c in dd.changes:
                if not is_bad(c, self.mode) or (c.pointer, c.kind) in seen:
                    continue
                seen.add((c.pointer, c.kind))
                out.append((old, c))
        return out


def assess(version: str, mode: str, previous: str, prev_diff: Diff, compat: CompatResult,
           compared: list[str]) -> Assessment:
    """Apply the rule to the diff against ``previous`` and the mode check against ``compared``."""
    return Assessment(version=version, mode=mode, previous=previous,
                      declared=Version.parse(previous).bump_to(Version.parse(version)),
                      required=required_for(prev_diff, mode), diff=prev_diff, compat=compat,
                      compared=compared)


def change_text(change: Change) -> tuple[str, str]:
    """(English, Japanese) text of a change (its kind and place when the engine gave none)."""
    en = change.message or f"{change.kind} at {change.pointer}"
    return en, change.message_ja or en


def compatibility_issues(a: Assessment, key: VersionKey, file: str,
                         locate: Locate | None = None, limit: int = 20) -> list[Issue]:
    """The assessment as issues: ``ci.bump-too-small`` or ``ci.incompatible`` (none when ok)."""
    where = locate or (lambda _pointer: (None, None))
    issues: list[Issue] = []
    if a.bump_too_small:
        suggest, required, declared = a.suggested, a.required, a.declared
        breaks_mode = a.mode_broken
        for c in a.bad_changes()[:limit]:
            en, ja = change_text(c)
            line, col = where(c.pointer)
            issues.append(Issue(
                rule="ci.bump-too-small", file=file, pointer=c.pointer, line=line, column=col,
                message=(f"{en} — this change needs a {required} version ({suggest}); "
                         f"{key.version} is a {declared} step from {a.previous}."),
                message_ja=(f"{ja} — この変更には{BUMP_JA[required]}の版上げ（{suggest}）が必要です。"
                            f"{key.version} は {a.previous} からの{BUMP_JA[declared]}の版上げです。"),
                hint=(f"Rename the folder to {key.lg}/{key.slug}/{suggest}/ (and its $id)"
                      + (f": within one major version the mode {a.mode} must hold." if breaks_mode else ".")),
                hint_ja=(f"フォルダを {key.lg}/{key.slug}/{suggest}/ に（$id も）変更してください"
                         + (f"。同じメジャー版の中では互換性モード {a.mode} を守る必要があります。"
                            if breaks_mode else "。"))))
        return issues
    if not a.mode_broken:
        return issues
    for old, c in a.breaking_against():
        en, ja = change_text(c)
        line, col = where(c.pointer)
        issues.append(Issue(
            rule="ci.incompatible", file=file, pointer=c.pointer, line=line, column=col,
            message=f"{en} — {key.version} is not {a.mode}-compatible with {old}.",
            message_ja=f"{ja} — {key.version} は {old} と互換性モード {a.mode} を満たしません。",
            hint=("Keep what earlier versions of this major line accepted, or publish the change "
                  "as a new major version to break on purpose."),
            hint_ja=("同じメジャー版の以前の版が受け付けた入力を受け付けるように戻すか、意図した変更なら"
                     "新しいメジャー版として追加してください。")))
    if not issues:
        issues.append(Issue(
            rule="ci.incompatible", file=file,
            message=f"{key.version} is not {a.mode}-compatible with its earlier versions.",
            message_ja=f"{key.version} は以前の版と互換性モード {a.mode} を満たしません。"))
    return issues
