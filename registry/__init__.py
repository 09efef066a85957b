"""Yoshiki (様式): a registry of form templates for Japanese municipalities."""

__version__ = "0.1.0"
