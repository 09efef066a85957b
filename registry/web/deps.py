"""Names of what ``create_app`` injects into handlers (pages use them too)."""

from __future__ import annotations

from typing import TypeAlias

from litestar.di import NamedDependency

from registry.config import Settings
from registry.readmodels import Author
from registry.service import RegistryService

Service: TypeAlias = NamedDependency[RegistryService]
"""``service: Service`` — the app's RegistryService."""

Actor: TypeAlias = NamedDependency[Author]
"""``actor: Actor`` — the account the guard authenticated (routes with an ``account`` opt)."""

Config: TypeAlias = NamedDependency[Settings]
"""``settings: Config`` — the app's Settings."""
