"""Publication times as the index stores and compares them (``sql_index.utc_text``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


@settings(max_examples=500, deadline=None)
@given(moment=st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31),
                           timezones=st.sampled_from([UTC, *(timezone(timedelta(hours=h))
                                                             for h in (-12, -5, 1, 9, 14)),
                                                      timezone(timedelta(hours=5, minutes=30))])),
       z=st.booleans())
def test_the_hour_moved_is_the_conversion(moment: datetime, z: bool) -> None:
    """Whole-hour offsets are converted by moving the hour (cached): the same text as a full
    conversion, for any moment, offset and fraction of a second."""
    text = moment.isoformat()
    if z:
        text = text.replace("+00:00", "Z")
    expected = moment.astimezone(UTC).isoformat(timespec="seconds")[:19] + "Z"
    assert utc_text(text) == expected
    assert utc_text(moment) == expected
