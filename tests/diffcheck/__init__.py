"""Helpers for the diff engine's correctness tests: the lenient assumption, values, schemas."""
