"""The canonical layout ``<lg-code>/<slug>/<semver>/...`` and the identifiers derived from it.

One layout everywhere: the registry's bare repository, ``templates_repo/`` and every city's own
repository. A schema's ``$id`` is derived from its path (see docs/format.md):
``https://yoshiki.invalid/<lg>/<slug>/<version>/schema.json``. The ``.invalid`` top-level domain
is reserved (RFC 2606), so no resolver can ever fetch it: references resolve locally or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from registry.errors import UsageError
from registry.versioning import Version

REGISTRY_BASE = "https://yoshiki.invalid/"
COMMON_BASE = REGISTRY_BASE + "common/"
SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
SLUG_MAX = 64
LG_RE = re.compile(r"[0-9]{6}")
TEMPLATE_FILE = "template.json"
SCHEMA_FILE = "schema.json"
EXAMPLES_DIR = "examples"
CONFIG_FILE = ".yoshiki.json"


def is_slug(text: str) -> bool:
    """True for a valid template slug: ``^[a-z0-9][a-z0-9-]*$``, at most 64 characters."""
    return len(text) <= SLUG_MAX and SLUG_RE.fullmatch(text) is not None


def schema_uri(lg: str, slug: str, version: str) -> str:
    """The registry URI used as ``$id`` of a version's schema."""
    return f"{REGISTRY_BASE}{lg}/{slug}/{version}/{SCHEMA_FILE}"


def common_uri(name: str) -> str:
    """The ``$id`` of a shared definition file ``schemas/common/<name>.json``."""
    return f"{COMMON_BASE}{name}.json"


@dataclass(frozen=True, order=True)
class TemplateKey:
    """A template: municipality code and slug, e.g. ``132241/absence-notice``."""

    lg: str
    slug: str

    def __str__(self) -> str:
        return f"{self.lg}/{self.slug}"

    @classmethod
    def parse(cls, text: str) -> TemplateKey:
        """Parse ``LG/SLUG`` (syntax only; the check digit is checked by municipalities)."""
        lg, sep, slug = text.partition("/")
        if not sep or LG_RE.fullmatch(lg) is None or not is_slug(slug):
            raise UsageError(
                f"{text!r} is not a template name of the form LGCODE/slug (e.g. 132241/absence-notice)",
                detail_ja=f"{text!r} はテンプレート名ではありません。132241/absence-notice のように「団体コード/スラッグ」で指定してください",
            )
        return cls(lg, slug)


@dataclass(frozen=True)
class VersionKey:
    """One version of a template, e.g. ``132241/absence-notice@1.0.0``."""

    lg: str
    slug: str
    version: str

    @property
    def template(self) -> TemplateKey:
        """The template this version belongs to."""
        return TemplateKey(self.lg, self.slug)

    @property
    def relpath(self) -> str:
        """Folder of this version relative to the repository root."""
        return f"{self.lg}/{self.slug}/{self.version}"

    @property
    def schema_id(self) -> str:
        """The ``$id`` its schema must carry."""
        return schema_uri(self.lg, self.slug, self.version)

    def __str__(self) -> str:
        return f"{self.lg}/{self.slug}@{self.version}"

    @classmethod
    def parse(cls, text: str) -> VersionKey:
        """Parse ``LG/SLUG@VERSION``."""
        name, sep, version = text.partition("@")
        key = TemplateKey.parse(name)
        if not sep:
            raise UsageError(
                f"{text!r} names no version: write LGCODE/slug@1.0.0",
                detail_ja=f"{text!r} に版番号がありません。132241/absence-notice@1.0.0 のように指定してください",
            )
        Version.parse(version)
        return cls(key.lg, key.slug, version)

    @classmethod
    def from_folder(cls, folder: Path) -> VersionKey | None:
        """The key of a version folder ``.../<lg>/<slug>/<version>``, if its names fit."""
        version, slug, lg = folder.name, folder.parent.name, folder.parent.parent.name
        if LG_RE.fullmatch(lg) and is_slug(slug) and Version.is_valid(version):
            return cls(lg, slug, version)
        return None


def is_version_dir(path: Path) -> bool:
    """A folder holding a template.json or schema.json whose name is a version."""
    return path.is_dir() and Version.is_valid(path.name) and (
        (path / TEMPLATE_FILE).is_file() or (path / SCHEMA_FILE).is_file()
    )


def iter_version_dirs(root: Path) -> Iterator[Path]:
    """Every version folder at or below ``root`` (a version, template, municipality or repo).

    Sorted by path, and versions of one template in SemVer order. Hidden folders are skipped.
    """
    if is_version_dir(root):
        yield root
        return
    if not root.is_dir():
        return
    children = sorted(
        (p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: (0, Version.parse(p.name), "") if Version.is_valid(p.name) else (1, Version(0, 0, 0), p.name),
    )
    for child in children:
        yield from iter_version_dirs(child)


def find_repository_root(start: Path) -> Path | None:
    """The nearest ancestor of ``start`` (inclusive) that looks like a repository in the layout.

    A version folder's repository root is three levels up; a folder holding ``.yoshiki.json``
    or a ``.git`` entry is a root.
    """
    start = start.resolve()
    if is_version_dir(start):
        return start.parent.parent.parent
    for p in (start, *start.parents):
        if (p / CONFIG_FILE).exists() or (p / ".git").exists():
            return p
    return None
