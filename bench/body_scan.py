"""The JSON depth pre-scan (registry/web/bodies.py) next to msgspec's decode of the same bytes.

    .venv/bin/python bench/body_scan.py [--repeat 20]

Bodies of about 1 MiB (the default body limit): a realistic publish body (a form with many
fields, Japanese text), one full of brackets inside strings, and the hostile one (990 levels,
padded). Prints the median time of the pre-scan and of ``msgspec.json.decode`` per body, side by
side, and their ratio: the pre-scan must cost no more than a fraction of the decode it guards.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import time
from collections.abc import Callable

import msgspec

from registry.web.bodies import check_depth


def realistic(target: int) -> bytes:
    props = {}
    i = 0
    while len(json.dumps(props, ensure_ascii=False).encode()) < target:
        props[f"field_{i}"] = {"type": "string", "title": f"項目{i}（氏名・住所・電話番号）",
                               "maxLength": 200, "description": "申請者の情報をご記入ください。" * 3,
                               "enum": ["はい", "いいえ", "わからない"]}
        i += 1
    return json.dumps({"version": "1.0.0", "template": {"title": "申請"},
                       "schema": {"type": "object", "properties": props}}, ensure_ascii=False).encode()


def bracket_strings(target: int) -> bytes:
    return json.dumps({"a": ["[[[{{{" * 40] * (target // 260)}).encode()


def hostile(target: int) -> bytes:
    deep = b"[" * 990 + b"]" * 990
    return b'{"pad": "' + b"x" * (target - len(deep) - 20) + b'", "schema": ' + deep + b"}"


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        with contextlib.suppress(Exception):  # the hostile body is refused by both: the point
            fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    size = 1024 * 1024 - 1024
    print(f"{'body (~1 MiB)':<22}{'bytes':>10}{'pre-scan ms':>14}{'msgspec decode ms':>20}{'ratio':>8}")
    for name, body in (("realistic publish", realistic(size)), ("brackets in strings", bracket_strings(size)),
                       ("990 deep (hostile)", hostile(size))):
        scan = median_ms(lambda body=body: check_depth(body, 32), args.repeat)  # type: ignore[misc]
        decode = median_ms(lambda body=body: msgspec.json.decode(body), args.repeat)  # type: ignore[misc]
        print(f"{name:<22}{len(body):>10}{scan:>14.2f}{decode:>20.2f}{scan / decode:>8.2f}")


if __name__ == "__main__":
    main()
