"""A template's postings: each key with the best field it occurs in, whatever the field order."""

from __future__ import annotations

import json
from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.search.analyser import keys_of
from registry.search.ranking import (
    CODES,
    DESCRIPTION,
    FIELD,
    MUNICIPALITY,
    TAG,
    TITLE,
    TITLE_EN,
    Posting,
)
from registry.search.topk import rank_key
from registry.storage.search_index import (
    COLUMNS,
    Keys,
    keys_of_template,
    postings_of,
    rows_of,
    suffix_of,
)

WORDS = ["欠席", "遅刻連絡", "保育所", "保育園", "申込", "申し込み", "郵便番号", "氏名", "届出", "犬",
         "こども", "子ども", "アンケート", "ｱﾝｹｰﾄ", "Library", "2026"]
texts = st.lists(st.sampled_from(WORDS), min_size=0, max_size=3).map("・".join)


def reference(template: dict[str, Any]) -> dict[str, Posting]:
    """Every (field, key) pair; a key keeps the highest weight, then the first field met."""
    fields: list[tuple[str | None, str, int]] = [
        (template["title"], TITLE, 0), (template["title_en"], TITLE_EN, 0),
        *((t, TAG, i) for i, t in enumerate(json.loads(template["tags"]))),
        *((f, FIELD, i) for i, f in enumerate(json.loads(template["field_titles"]))),
        (template["description"], DESCRIPTION, 0), (template["municipality_name"], MUNICIPALITY, 0)]
    best: dict[str, Posting] = {}
    for text, kind, pos in fields:
        for k in keys_of(text) if text else ():
            code = CODES[kind]
            if k not in best or best[k].code // 10 < code // 10:
                best[k] = Posting(code, pos)
    return best


@settings(max_examples=300, deadline=None)
@given(title=texts, title_en=st.sampled_from([None, "", "Absence notice", "Library"]),
       tags=st.lists(texts, max_size=3), fields=st.lists(texts, max_size=4), description=texts,
       municipality=st.sampled_from(["多摩市", "稲城市", "瑞穂町", ""]))
def test_postings_keep_each_keys_best_field(title: str, title_en: str | None, tags: list[str],
                                            fields: list[str], description: str,
                                            municipality: str) -> None:
    template = {"title": title, "title_en": title_en, "tags": json.dumps(tags),
                "field_titles": json.dumps(fields), "description": description,
                "municipality_name": municipality}
    assert postings_of(template) == reference(template)


def test_rows_come_in_primary_key_order_with_the_filters_they_carry() -> None:
    template = {"title": "欠席・遅刻連絡", "title_en": "Absence", "tags": '["学校"]',
                "field_titles": '["氏名", "郵便番号"]', "description": "学校への連絡",
                "municipality_name": "多摩市", "updated_at": "2026-11-24T19:47:59Z",
                "fork_count": 2, "lg": "132241", "slug": "absence", "prefecture_code": "130001",
                "category": "教育"}
    keys = keys_of_template(7, template)
    rows = list(keys.rows())
    assert [r[:2] for r in rows] == sorted(r[:2] for r in rows)
    assert {r[0] for r in rows} == {7}
    assert {r[5:] for r in rows} == {("130001", "教育")}
    postings = postings_of(template)
    assert {r[1]: (r[2], r[3]) for r in rows} == {k: (p.code, p.pos) for k, p in postings.items()}
    assert all(r[4] == rank_key(r[2], suffix_of(template)) for r in rows)
    assert rows_of(7, template) == [dict(zip(COLUMNS, r, strict=True)) for r in rows]
    # as a reindex's worker sends them (column-wise), the same rows come out
    sent = msgspec.msgpack.decode(msgspec.msgpack.encode(keys), type=Keys)
    assert list(sent.rows()) == rows
    title = next(r for r in rows if r[1] == "欠席")
    field = next(r for r in rows if r[1] == "氏名")
    assert title[4] < field[4]  # the title's rank key sorts first


def test_a_number_in_digits_is_a_key_but_its_reading_is_not() -> None:
    """「質問2」 gives 2 and 質問, not に (a query 「に」 found every form with a 質問2), and 2026
    is not read digit by digit; a numeral in kanji keeps its reading (三歳児 → さん)."""
    assert {"質問", "しつもん", "2"} <= keys_of("質問2")
    assert "に" not in keys_of("質問2")
    assert not {"にれいにろく", "いちれい"} & keys_of("2026年度の１０月")
    assert {"2026", "10", "ねんど"} <= keys_of("2026年度の１０月")
    assert {"さん", "三"} <= keys_of("三歳児健診")


def test_postings_are_a_fresh_mapping_each_time() -> None:
    """Each field's postings are cached: what a caller does with the answer never reaches them."""
    template = {"title": "欠席連絡", "title_en": None, "tags": '["学校"]',
                "field_titles": '["氏名", "郵便番号"]', "description": "欠席の連絡",
                "municipality_name": "多摩市"}
    first = postings_of(template)
    first.clear()
    assert postings_of(template) == reference(template) != {}
