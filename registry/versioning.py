"""SemVer for template versions: ``MAJOR.MINOR.PATCH`` only (no pre-release, no build metadata).

A published form version is immutable and public; pre-release tags would let a city publish
something forks cannot rely on, so the registry accepts plain release numbers only.
"""

from __future__ import annotations

import re
from functools import lru_cache, total_ordering
from typing import Literal

from registry.errors import UsageError

Bump = Literal["none", "patch", "minor", "major"]
BUMP_ORDER: dict[Bump, int] = {"none": 0, "patch": 1, "minor": 2, "major": 3}

# Each part is at most MAX_PART (nine digits): it fits a 32-bit signed integer, the INTEGER
# columns of the index on PostgreSQL (SQLite's are 64-bit), and any JSON number exactly. The
# bound is part of the grammar, so a longer number is not a version anywhere: not in a request,
# not in a local folder, and reindex skips (and reports) such a folder found in git.
MAX_PART = 999_999_999
_PART = r"(0|[1-9][0-9]{0,8})"
SEMVER_RE = re.compile(rf"{_PART}\.{_PART}\.{_PART}")
_UNBOUNDED_RE = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")


@total_ordering
class Version:
    """An immutable MAJOR.MINOR.PATCH version."""

    __slots__ = ("major", "minor", "patch")

    def __init__(self, major: int, minor: int, patch: int) -> None:
        self.major, self.minor, self.patch = major, minor, patch

    @classmethod
    def parse(cls, text: str) -> Version:
        """Parse ``1.2.3``; raise UsageError with a Japanese message otherwise."""
        if cls is Version and isinstance(text, str):
            return _parsed(text)  # immutable: a reindex parses ~10 per template, most alike
        return cls._parse(text)

    @classmethod
    def _parse(cls, text: str) -> Version:
        m = SEMVER_RE.fullmatch(text) if isinstance(text, str) else None
        if m is None and isinstance(text, str) and _UNBOUNDED_RE.fullmatch(text):
            raise UsageError(
                f"{text!r}: each part of a version is at most {MAX_PART:,}",
                detail_ja=f"{text!r}: 版番号の各部分は {MAX_PART:,} 以下です")
        if m is None:
            raise UsageError(
                f"{text!r} is not a version of the form MAJOR.MINOR.PATCH (e.g. 1.0.0)",
                detail_ja=f"{text!r} は版番号ではありません。1.0.0 のように「メジャー.マイナー.パッチ」で指定してください",
            )
        return cls(int(m[1]), int(m[2]), int(m[3]))

    @staticmethod
    def is_valid(text: object) -> bool:
        """True when ``text`` is a plain MAJOR.MINOR.PATCH version."""
        return isinstance(text, str) and SEMVER_RE.fullmatch(text) is not None

    def _key(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self._key() == other._key()

    def __lt__(self, other: Version) -> bool:
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    def __repr__(self) -> str:
        return f"Version('{self}')"

    def bumped(self, bump: Bump) -> Version:
        """The next version for a change of the given size (``none`` returns self)."""
        part = {"major": self.major, "minor": self.minor, "patch": self.patch}.get(bump, 0)
        if part >= MAX_PART:
            raise UsageError(f"{self} has no next {bump} version: each part is at most {MAX_PART:,}",
                             detail_ja=f"{self} の次の版はありません（各部分は {MAX_PART:,} 以下）")
        if bump == "major":
            return Version(self.major + 1, 0, 0)
        if bump == "minor":
            return Version(self.major, self.minor + 1, 0)
        if bump == "patch":
            return Version(self.major, self.minor, self.patch + 1)
        return self

    def bump_to(self, new: Version) -> Bump:
        """The size of the step from self to ``new`` (``none`` if equal or lower)."""
        if new <= self:
            return "none"
        if new.major != self.major:
            return "major"
        if new.minor != self.minor:
            return "minor"
        return "patch"


def max_bump(*bumps: Bump) -> Bump:
    """The largest of the given bumps."""
    return max(bumps, key=BUMP_ORDER.__getitem__, default="none")


def sort_versions(texts: list[str]) -> list[str]:
    """Version strings in ascending SemVer order (invalid ones are dropped)."""
    return [str(v) for v in sorted(Version.parse(t) for t in texts if Version.is_valid(t))]


@lru_cache(maxsize=4096)
def _parsed(text: str) -> Version:
    return Version._parse(text)


@lru_cache(maxsize=4096)
def version_order(text: str) -> tuple[int, int, int]:
    """``Version.parse(text)`` as a tuple that sorts the same (UsageError likewise): a key
    for sorting or ``max`` that compares in C (a reindex orders 300k versions)."""
    return _parsed(text)._key()
