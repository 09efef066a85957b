"""A small table of municipal vocabulary that means the same thing to staff.

Each row is one set of words a member of staff may type for the same thing; every word of a
set finds what any other word of the set finds. Words are compared after the analyser's
normalisation (SudachiPy's normalised form, NFKC, casefold), so 申込/申込み/申し込み are already
one word and need no row here. Keep rows few and certain: a wrong row floods results.

| row | words | why |
|---|---|---|
| 保育 | 保育園, 保育所 | 保育所 is the legal name (児童福祉法); residents and staff say 保育園 |
| 子ども | こども, 子ども, 子供 | three spellings of the same word; 子ども is the administrative spelling |
| 申込 | 申し込み, 申請 | 申込 (events, classes) and 申請 (permits, services) are both "apply" to staff |
| 届 | 届け, 届出, 届け出 | 届 and 届出 name the same act of notification (転入届 / 転入の届出) |
| 連絡 | 連絡, 届け | 欠席届 and 欠席連絡 name the same school/nursery form |
| アンケート | アンケート, 調査, 意見募集 | survey forms are called all three |
| 図書館 | 図書館, 図書室 | a school or community room lends books like a library |
"""

from __future__ import annotations

# Normalised forms (SudachiPy normalized_form, NFKC + casefold). 申し込み covers 申込/申込み.
SYNONYM_SETS: tuple[frozenset[str], ...] = (
    frozenset({"保育園", "保育所"}),
    frozenset({"こども", "子ども", "子供"}),
    frozenset({"申し込み", "申請"}),
    frozenset({"届け", "届出", "届け出"}),
    frozenset({"連絡", "届け"}),
    frozenset({"アンケート", "調査", "意見募集"}),
    frozenset({"図書館", "図書室"}),
)

_BY_WORD: dict[str, frozenset[str]] = {}
for _row in SYNONYM_SETS:
    for _word in _row:
        _BY_WORD[_word] = _BY_WORD.get(_word, frozenset()) | _row


def synonyms_of(word: str) -> frozenset[str]:
    """The words that mean the same as ``word`` (one step through the table), itself included."""
    return _BY_WORD.get(word, frozenset()) | {word}
