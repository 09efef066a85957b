"""全国地方公共団体コード (JIS X 0402 + check digit): validation, names, closest-code suggestions.

The data file ``registry/data/municipalities.csv`` lists the 47 prefectures and 1,741
municipalities (its header comment names the source and date). Loaded once, on first use.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Literal

from registry.errors import NotFound, UsageError

Kind = Literal["prefecture", "city", "town", "village", "ward"]
KIND_JA: dict[str, str] = {"prefecture": "都道府県", "city": "市", "town": "町", "village": "村",
                           "ward": "特別区"}
_DATA = Path(__file__).resolve().parent / "data" / "municipalities.csv"
_WEIGHTS = (6, 5, 4, 3, 2)


@dataclass(frozen=True)
class Municipality:
    """A prefecture or municipality with its six-digit code."""

    code: str
    name: str
    prefecture: str
    kind: Kind
    kana: str

    @cached_property
    def prefecture_code(self) -> str:
        """The code of the prefecture this municipality belongs to (itself for a prefecture)."""
        first2 = self.code[:2]
        return first2 + "000" + check_digit(first2 + "000")

    @property
    def full_name(self) -> str:
        """Prefecture and name, e.g. 東京都多摩市 (a prefecture's own name once)."""
        return self.name if self.kind == "prefecture" else self.prefecture + self.name


def check_digit(first5: str) -> str:
    """The check digit: 11 − (d1·6 + d2·5 + d3·4 + d4·3 + d5·2 mod 11), last digit kept."""
    if len(first5) != 5 or not first5.isascii() or not first5.isdigit():
        raise UsageError(f"{first5!r} is not five digits", detail_ja=f"{first5!r} は5桁の数字ではありません")
    total = sum(int(d) * w for d, w in zip(first5, _WEIGHTS, strict=True))
    return str((11 - total % 11) % 10)


@cache
def _table() -> dict[str, Municipality]:
    with _DATA.open(encoding="utf-8", newline="") as f:
        lines = (line for line in f if not line.startswith("#"))
        return {row["code"]: Municipality(row["code"], row["name"], row["prefecture"],
                                          row["kind"], row["kana"])  # type: ignore[arg-type]
                for row in csv.DictReader(lines)}


def all_municipalities() -> list[Municipality]:
    """Every prefecture and municipality, in code order."""
    return sorted(_table().values(), key=lambda m: m.code)


def prefectures() -> list[Municipality]:
    """The 47 prefectures, in code order."""
    return [m for m in all_municipalities() if m.kind == "prefecture"]


def is_valid_code(code: str) -> bool:
    """True when ``code`` is a known six-digit code (check digit included)."""
    return code in _table()


def lookup(code: str) -> Municipality | None:
    """The municipality with this code, or None."""
    return _table().get(code)


def name_of(code: str) -> str:
    """The name for a code (the code itself when unknown, so listings never break)."""
    m = _table().get(code)
    return m.name if m else code


def find_by_name(name: str) -> list[Municipality]:
    """Municipalities whose name or full name is exactly ``name`` (e.g. 府中市 → two)."""
    return [m for m in _table().values() if name in (m.name, m.full_name)]


def closest(code: str) -> Municipality | None:
    """The known code nearest to a mistyped one.

    A five-digit code (the old form without check digit) or a wrong check digit points to the
    code with the same first five digits; otherwise the code differing in the fewest digit
    positions, ties broken by numeric distance.
    """
    table = _table()
    digits = "".join(ch for ch in code if ch.isascii() and ch.isdigit())
    if len(digits) >= 5 and (m := table.get(digits[:5] + check_digit(digits[:5]))):
        return m
    if len(digits) != 6:
        return None
    target = int(digits)

    def distance(c: str) -> tuple[int, int]:
        return (sum(a != b for a, b in zip(c, digits, strict=True)), abs(int(c) - target))

    return min(table.values(), key=lambda m: distance(m.code))


def check_code(code: str) -> Municipality:
    """The municipality for ``code``; UsageError if malformed, NotFound naming the closest code."""
    if code in _table():
        return _table()[code]
    guess = closest(code)
    hint_en = f" Did you mean {guess.code} ({guess.full_name})?" if guess else ""
    hint_ja = f"{guess.code}（{guess.full_name}）ではありませんか。" if guess else ""
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        raise UsageError(
            f"{code!r} is not a local government code: six digits including the check digit.{hint_en}",
            detail_ja=f"{code!r} は全国地方公共団体コードではありません（検査数字を含む6桁）。{hint_ja}",
            extra={"suggestion": guess.code if guess else None},
        )
    if check_digit(code[:5]) != code[5] and code[:5] + check_digit(code[:5]) in _table():
        reason_en = f"the check digit of {code[:5]} is {check_digit(code[:5])}, not {code[5]}"
        reason_ja = f"{code[:5]} の検査数字は {check_digit(code[:5])} です（{code[5]} ではありません）"
    else:
        reason_en, reason_ja = "no such municipality", "該当する団体がありません"
    raise NotFound(
        f"unknown local government code {code}: {reason_en}.{hint_en}",
        detail_ja=f"全国地方公共団体コード {code} は存在しません: {reason_ja}。{hint_ja}",
        extra={"suggestion": guess.code if guess else None},
    )
