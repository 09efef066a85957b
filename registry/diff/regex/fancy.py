"""The one rewrite of jsonschema-rs's default engine that changes which strings match.

jsonschema-rs runs ``pattern`` on fancy-regex, whose optimiser rewrites a concatenation
``X+ M? X+`` (two greedy unbounded repetitions of the same expression, at least once each,
around anything optional) into ``X+ (M X+)?`` — dropping the second mandatory ``X``: with
jsonschema-rs 0.60, ``^\\d+-?\\d+$`` accepts "1" and ``^a+b*a+$`` accepts "a". (The other
minimum pairs, ``X* M? X+`` and ``X+ M? X*``, keep their language there; tests pin all of it.)

``rewrite`` applies that rewrite to our tree as fancy-regex applies it to its own — windows of
three items of a sequence, left to right, children first — and says for each rewrite whether
fancy-regex certainly performs it: it compares its parsed expressions, which are certainly
equal when the two atoms have the same text, and possibly equal (``[0-9]`` and ``\\d``, ``(a)``
and ``(?<n>a)``) when only our trees are. The caller keeps the ECMA-262 language where the
rewrite does not change it, takes the rewritten one where fancy-regex certainly applies it,
and answers unknown otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from registry.syntax.regexes import Node


@dataclass
class Rewrites:
    """What ``rewrite`` did: how many rewrites, and how many of them fancy-regex surely does."""

    certain: int = 0
    possible: int = 0
    notes: list[str] = field(default_factory=list)


def same(a: Node, b: Node) -> bool:
    """Structural equality of two trees (the same sets, shapes, bounds and laziness)."""
    if (a.kind, a.min, a.max, a.lazy, len(a.children)) != (b.kind, b.min, b.max, b.lazy,
                                                           len(b.children)):
        return False
    if (a.chars is None) != (b.chars is None):
        return False
    if a.chars is not None and b.chars is not None and a.chars.intervals != b.chars.intervals:
        return False
    return all(same(x, y) for x, y in zip(a.children, b.children, strict=True))


def _unbounded_once(node: Node) -> bool:
    return node.kind == "repeat" and not node.lazy and node.max is None and node.min == 1


def rewrite(tree: Node, found: Rewrites | None = None) -> tuple[Node, Rewrites]:
    """``tree`` as fancy-regex's optimiser leaves it (a new tree; ``tree`` is not changed)."""
    found = found if found is not None else Rewrites()
    children = [rewrite(child, found)[0] for child in tree.children]
    if tree.kind == "seq":
        children = _windows(children, found)
    node = Node(tree.kind, tree.chars, children, tree.min, tree.max, tree.lazy, tree.text)
    return node, found


def _windows(items: list[Node], found: Rewrites) -> list[Node]:
    items = list(items)
    ix = 0
    while ix + 2 < len(items):
        left, middle, right = items[ix], items[ix + 1], items[ix + 2]
        if (_unbounded_once(left) and _unbounded_once(right)
                and middle.kind == "repeat" and middle.min == 0 and middle.max != 0
                and same(left.children[0], right.children[0])):
            atom = left.children[0]
            if atom.text and atom.text == right.children[0].text:
                found.certain += 1
            else:
                found.possible += 1
            found.notes.append(f"{atom.text}+ … {right.children[0].text}+")
            tail = Node("seq", children=[
                Node("repeat", children=middle.children, min=1, max=middle.max, lazy=middle.lazy),
                right])
            items[ix: ix + 3] = [left, Node("repeat", children=[tail], min=0, max=1)]
            ix += 2
        else:
            ix += 1
    return items
