"""Residents' submissions: readers for JSON/JSONL/CSV, messages staff understand."""
