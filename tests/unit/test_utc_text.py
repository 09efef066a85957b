"""Publication times as the index stores and compares them (``sql_index.utc_text``)."""

from __future__ import annotations

import pytest

from registry.errors import UsageError
from registry.storage.sql_index import utc_text


def test_utc_text_converts_any_offset_and_keeps_only_valid_utc_text() -> None:
    """Publication times as the index stores them: UTC with seconds and a Z. Text already in
    that form (a reindex's records) is kept, but still checked."""
    assert utc_text("2026-04-01T09:00:00+09:00") == "2026-04-01T00:00:00Z"
    assert utc_text("2026-04-01T00:00:00.123456+00:00") == "2026-04-01T00:00:00Z"
    assert utc_text("2026-04-01T00:00:00") == "2026-04-01T00:00:00Z"  # no offset: UTC
    assert utc_text("2026-11-24T19:47:59Z") == "2026-11-24T19:47:59Z"
    for bad in ("2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-11-24T25:00:00Z", "昨日"):
        with pytest.raises(UsageError, match="ISO 8601"):
            utc_text(bad)
