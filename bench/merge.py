"""Cost of the three-way merge: is it linear in the size of the documents?

Two shapes, each at growing sizes, best of a few runs, printing seconds, microseconds per node
and the ratio of time to the ratio of size (≈ 1.0 means linear):

- wide: a form with N fields (each with an enum); ours and theirs each edit a tenth of the
  fields (different ones), add fields and enum values — the realistic pull;
- deep: a chain of nested objects, depth D ≤ 200, each level with a few siblings, both sides
  editing the bottom (where a merge that re-compares whole subtrees at every level is
  quadratic).

Run: ``.venv/bin/python bench/merge.py [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from registry.merge import merge


def count_nodes(value: Any) -> int:
    """Containers and scalars in a JSON value (iterative)."""
    total, stack = 0, [value]
    while stack:
        node = stack.pop()
        total += 1
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return total


def wide(n: int) -> tuple[Any, Any, Any]:
    """A form of n fields; ours and theirs each edit and add different fields."""
    props = {f"q{i:06d}": {"type": "string", "title": f"質問{i}", "maxLength": 100,
                           "enum": ["はい", "いいえ", "わからない"]} for i in range(n)}
    base = {"type": "object", "title": "アンケート", "properties": props,
            "required": [f"q{i:06d}" for i in range(0, n, 3)]}
    ours, theirs = copy.deepcopy(base), copy.deepcopy(base)
    for i in range(0, n, 10):
        ours["properties"][f"q{i:06d}"]["title"] += "（稲城市）"
        theirs["properties"][f"q{i + 5:06d}" if i + 5 < n else f"q{i:06d}"]["enum"].append("その他")
    for i in range(n // 20):
        ours["properties"][f"local{i}"] = {"type": "boolean", "title": f"独自{i}"}
        theirs["properties"][f"new{i}"] = {"type": "integer", "title": f"追加{i}"}
    theirs["required"].append("new0")
    return base, ours, theirs


def deep(depth: int, siblings: int = 8) -> tuple[Any, Any, Any]:
    """A chain ``depth`` objects deep with ``siblings`` extra keys per level; edits at the bottom."""
    def build(bottom: dict[str, Any]) -> dict[str, Any]:
        node: dict[str, Any] = bottom
        for level in range(depth - 1):
            node = {"next": node, **{f"s{k}": {"title": f"{level}-{k}"} for k in range(siblings)}}
        return node
    return (build({"x": 1, "y": 1}), build({"x": 2, "y": 1}), build({"x": 1, "y": 2}))


def best(trio: tuple[Any, Any, Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = merge(*trio)
        times.append(time.perf_counter() - start)
        assert result.clean, result.conflicts[:3]
    return min(times)


def run(label: str, sizes: list[int], make: Any, repeat: int) -> None:
    print(f"\n{label}")
    print(f"{'size':>8} {'nodes':>10} {'seconds':>9} {'µs/node':>8} {'time/size ratio':>16}")
    previous: tuple[int, float] | None = None
    for size in sizes:
        trio = make(size)
        nodes = sum(count_nodes(d) for d in trio)
        seconds = best(trio, repeat)
        ratio = ""
        if previous is not None:
            ratio = f"{(seconds / previous[1]) / (nodes / previous[0]):.2f}"
        print(f"{size:>8} {nodes:>10,} {seconds:>9.4f} {seconds / nodes * 1e6:>8.2f} {ratio:>16}")
        previous = (nodes, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    run("wide form (N fields)", [100, 1_000, 10_000, 50_000], wide, args.repeat)
    run("deep chain (depth D, 8 siblings per level)", [25, 50, 100, 200], deep, args.repeat)
    print("\nratio ≈ 1.0: time grows like size (linear); ≈ 2.0 per doubling would be quadratic.")


if __name__ == "__main__":
    main()
