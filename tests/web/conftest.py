"""Fixtures of the API tests (defined in webapp.py, importable by a unique module name)."""

from webapp import client, published, service, settings, tokens

__all__ = ["client", "published", "service", "settings", "tokens"]
