"""Names of what ``create_app`` injects into handlers (pages use them too)."""

from __future__ import annotations

from typing import TypeAlias

from litestar.di import NamedDependency

from registry.config import Settings
from registry.service import RegistryService

Service: TypeAlias = NamedDependency[RegistryService]
"""``service: Service`` — the app's RegistryService."""

Config: TypeAlias = NamedDependency[Settings]
"""``settings: Config`` — the app's Settings."""
