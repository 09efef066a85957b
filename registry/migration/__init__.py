"""``yoshiki migrate``: bring submissions collected under one form version to another (docs/format.md)."""
