"""The one error model: RegistryError with a stable ``code``; no HTTP status, no exit code here.

The web layer maps these to RFC 9457 problem details and the CLI to exit codes, each with one
table (registry/web/problems.py, cli/main.py).
"""

from __future__ import annotations

from typing import Any, ClassVar

from registry.models import Issue


class RegistryError(Exception):
    """Base of every error the registry reports to a user."""

    code: ClassVar[str] = "error"
    title: ClassVar[str] = "エラー / Error"

    def __init__(
        self,
        detail: str,
        *,
        detail_ja: str | None = None,
        issues: list[Issue] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.detail_ja = detail_ja or detail
        self.issues = issues or []
        self.extra = extra or {}

    def text(self, lang: str) -> str:
        """The detail in the requested language."""
        return self.detail_ja if lang == "ja" else self.detail


class InvalidTemplate(RegistryError):
    """A template, schema or document failed validation."""

    code = "invalid"
    title = "テンプレートが不正です / Invalid template"


class InvalidDocument(InvalidTemplate):
    """A file is not readable JSON (syntax, encoding, empty, too large)."""

    code = "invalid-document"
    title = "JSON を読み込めません / Unreadable JSON document"


class IncompatibleChange(RegistryError):
    """A change breaks the template's compatibility mode or under-declares the version bump."""

    code = "incompatible"
    title = "互換性のない変更です / Incompatible change"


class UsageError(RegistryError):
    """The request or command line is malformed."""

    code = "usage"
    title = "指定が正しくありません / Bad request"


class NotFound(RegistryError):
    """A template, version, file or municipality does not exist."""

    code = "not-found"
    title = "見つかりません / Not found"


class VersionExists(RegistryError):
    """A published version is immutable; publishing it again is refused."""

    code = "version-exists"
    title = "この版は公開済みです / Version already published"


class Conflict(RegistryError):
    """A concurrent update was lost or a merge has conflicts."""

    code = "conflict"
    title = "競合があります / Conflict"


class Unauthenticated(RegistryError):
    """No valid token was given."""

    code = "unauthenticated"
    title = "認証が必要です / Authentication required"


class Forbidden(RegistryError):
    """The token may not write here."""

    code = "forbidden"
    title = "権限がありません / Forbidden"


class Unavailable(RegistryError):
    """Something this machine lacks (a system package such as the Japanese font for the PDF)."""

    code = "unavailable"
    title = "利用できません / Unavailable"


class LimitExceeded(RegistryError):
    """A request or document exceeds a size, depth or count limit."""

    code = "too-large"
    title = "大きすぎます / Limit exceeded"
