"""The issue-12 table: verdicts by inclusion, and changes that say what happened.

The seven everyday edits of tests/data/diff/issue_table under ``--policy strict``: the verdicts
(the corpus checks them too), the cosmetic ``rewritten`` change with its message, the staff
wording of a widening to null, the witness as a filled form, and the text output of
``yoshiki diff`` (a subprocess) showing it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from registry.diff import Change, Diff, Policy, diff

TABLE = Path(__file__).resolve().parents[1] / "data" / "diff" / "issue_table"


def _case(name: str) -> dict[str, Any]:
    case: dict[str, Any] = json.loads((TABLE / f"{name}.json").read_text(encoding="utf-8"))
    return case


def _run(name: str) -> Diff:
    case = _case(name)
    return diff(case["old"], case["new"], Policy("strict"))


def _value_changes(d: Diff) -> list[Change]:
    return [c for c in d.changes if c.kind not in ("annotation_changed", "identifier_changed")]


@pytest.mark.parametrize(("name", "backward", "forward", "bump"), [
    ("biko_nullable", "compatible", "breaking", "minor"),
    ("kubun_one_of_const", "compatible", "compatible", "patch"),
    ("ninzu_number_multiple_of_one", "compatible", "compatible", "patch"),
    ("biko_keywords_into_all_of", "compatible", "compatible", "patch"),
    ("jikoku_required_for_soutai", "breaking", "compatible", "major"),
    ("jikoku_pattern_one_or_two_digits", "compatible", "breaking", "minor"),
    ("jikoku_digit_class", "compatible", "compatible", "patch"),
])
def test_issue_table(name: str, backward: str, forward: str, bump: str) -> None:
    d = _run(name)
    assert (d.backward, d.forward, d.bump) == (backward, forward, bump)
    case = _case(name)
    old, new = jsonschema_rs.validator_for(case["old"]), jsonschema_rs.validator_for(case["new"])
    for c in d.changes:
        if c.witness is not None:  # every witness really separates the two versions
            accepts, rejects = (old, new) if c.witness.accepted_by == "old" else (new, old)
            assert accepts.is_valid(c.witness.value)
            assert not rejects.is_valid(c.witness.value)
    for direction, verdict in (("backward", backward), ("forward", forward)):
        if verdict == "breaking":
            src = "old" if direction == "backward" else "new"
            assert any(getattr(c, direction) == "breaking" and c.witness is not None
                       and c.witness.accepted_by == src for c in d.changes)


def test_same_values_are_one_cosmetic_rewrite() -> None:
    changes = _value_changes(_run("kubun_one_of_const"))
    assert [(c.kind, c.cosmetic, c.field) for c in changes] == [("rewritten", True, "/kubun")]
    assert changes[0].message_ja == "『区分』の選択肢の書き方が変わりました（受け付ける値は同じ）。"
    assert changes[0].message == 'The way the choices of "区分" are written changed (the same values are accepted).'
    moved = _value_changes(_run("biko_keywords_into_all_of"))
    assert [(c.kind, c.message_ja) for c in moved] == [
        ("rewritten", "『備考』の書き方が変わりました（受け付ける値は同じ）。")]


def test_widening_to_null_is_said_as_staff_would() -> None:
    d = _run("biko_nullable")
    breaking = [c for c in d.changes if "breaking" in (c.backward, c.forward)]
    assert len(breaking) == 1
    c = breaking[0]
    assert c.message_ja == "『備考』を空欄（null）のままにできるようになりました。"
    assert c.witness is not None
    assert c.witness.accepted_by == "new"
    assert c.witness.value["biko"] is None
    assert c.witness_form_ja is not None
    assert c.witness_form_ja.startswith("備考: （空欄）")
    # The maximum length only moved into a branch: not reported as a removed limit.
    assert "max_length_removed" not in [x.kind for x in d.changes]


def test_witness_is_a_filled_form() -> None:
    d = _run("jikoku_required_for_soutai")
    c = next(c for c in d.changes if c.backward == "breaking")
    assert c.witness is not None
    assert c.witness.value == {"kubun": "早退"}
    assert c.witness_form_ja == "区分: 早退、時刻: （空欄）"
    assert c.witness_form_en == "区分: 早退, 時刻: (blank)"
    # The message says which field became required in which case, not "the if changed".
    assert c.message_ja == ("「区分: 早退」のとき『時刻』の入力が必須になりました。"
                            "これまでに受け付けた申請データの一部が新しい版では無効になります。")
    assert c.message.startswith('When 区分: 早退, "時刻" is now required.')


def test_text_output_shows_the_filled_form(run_cli: Any, tmp_path: Path) -> None:
    case = _case("jikoku_required_for_soutai")
    (tmp_path / "old.json").write_text(json.dumps(case["old"], ensure_ascii=False), encoding="utf-8")
    (tmp_path / "new.json").write_text(json.dumps(case["new"], ensure_ascii=False), encoding="utf-8")
    proc = run_cli("diff", tmp_path / "old.json", tmp_path / "new.json", "--policy", "strict")
    assert proc.returncode == 0, proc.stderr
    assert "例: 「区分: 早退、時刻: （空欄）」の申請データは旧版で有効、新版で無効" in proc.stdout
    body = json.loads(run_cli("diff", tmp_path / "old.json", tmp_path / "new.json", "--policy", "strict",
                              "--format", "json").stdout)
    assert (body["backward"], body["forward"]) == ("breaking", "compatible")
    broken = [c for c in body["changes"] if c["backward"] == "breaking"]
    assert broken[0]["witness"] == {"value": {"kubun": "早退"}, "accepted_by": "old"}
