"""The keyword walk: where two schemas differ, family by family (core.py is the plumbing)."""
