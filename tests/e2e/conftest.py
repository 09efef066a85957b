"""Fixtures of the end-to-end tests (defined in served.py)."""

from served import module_registry, registry

__all__ = ["module_registry", "registry"]
