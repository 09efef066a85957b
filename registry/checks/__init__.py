"""Checking templates: validation, lint, repository (CI) checks, the compatibility rule."""
