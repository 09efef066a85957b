"""Fixtures of the end-to-end tests (defined in served.py)."""

from served import registry

__all__ = ["registry"]
