"""全国地方公共団体コード: the shipped list, the check digit, and suggestions for mistyped codes."""

from __future__ import annotations

import collections

import pytest

from registry import municipalities as m
from registry.errors import NotFound, UsageError


def test_counts_match_the_official_list() -> None:
    kinds = collections.Counter(x.kind for x in m.all_municipalities())
    assert kinds == {"prefecture": 47, "city": 792, "town": 743, "village": 183, "ward": 23}
    assert sum(kinds.values()) - kinds["prefecture"] == 1741


def test_every_shipped_code_has_a_correct_check_digit() -> None:
    for x in m.all_municipalities():
        assert m.check_digit(x.code[:5]) == x.code[5], x


@pytest.mark.parametrize(
    ("code", "name"),
    [("132241", "多摩市"), ("132250", "稲城市"), ("130001", "東京都"), ("271403", "堺市"),
     ("272094", "守口市"), ("272264", "藤井寺市"), ("272272", "東大阪市"), ("092096", "真岡市"),
     ("132233", "武蔵村山市"), ("133035", "瑞穂町"), ("131016", "千代田区")],
)
def test_known_codes(code: str, name: str) -> None:
    assert m.check_code(code).name == name
    assert m.name_of(code) == name


def test_check_digit_formula_from_domain_notes() -> None:
    # 11 − (1·6 + 3·5 + 2·4 + 2·3 + 4·2 mod 11) = 11 − (43 mod 11) = 11 − 10 = 1
    assert m.check_digit("13224") == "1"
    # a remainder of 0 or 1 gives 11 or 10: only the last digit is kept
    assert m.check_digit("01100") == "2"  # 札幌市 011002


def test_wrong_check_digit_names_the_right_code() -> None:
    with pytest.raises(NotFound) as err:
        m.check_code("132242")
    assert "13224 の検査数字は 1 です" in err.value.detail_ja
    assert "132241（東京都多摩市）ではありませんか" in err.value.detail_ja
    assert err.value.extra["suggestion"] == "132241"


def test_five_digit_legacy_code_is_a_usage_error_with_suggestion() -> None:
    with pytest.raises(UsageError) as err:
        m.check_code("13225")
    assert err.value.extra["suggestion"] == "132250"


def test_unknown_code_suggests_nearest_existing() -> None:
    with pytest.raises(NotFound) as err:
        m.check_code("132306")  # check digit right, but 東京都 has no 13230x
    suggestion = err.value.extra["suggestion"]
    assert m.is_valid_code(suggestion)
    assert sum(a != b for a, b in zip(suggestion, "132306", strict=True)) == 2  # none is 1 away
    assert suggestion.startswith("13")
    assert "該当する団体がありません" in err.value.detail_ja


def test_full_width_digits_are_not_a_code() -> None:
    with pytest.raises(UsageError):
        m.check_code("１３２２４１")


def test_prefecture_code_and_names() -> None:
    tama = m.check_code("132241")
    assert tama.prefecture_code == "130001"
    assert tama.full_name == "東京都多摩市"
    assert len(m.prefectures()) == 47
    assert [x.code for x in m.find_by_name("府中市")] == ["132063", "342084"]
