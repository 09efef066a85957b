"""The semantic verdicts of a diff: backward = L(old) ⊆ L(new), forward = L(new) ⊆ L(old).

Under lenient the source side of each direction is read with the lenient assumption (its
objects carry only the properties it declares). A refutation counts only with a counterexample
that jsonschema-rs accepts under the source schema and rejects under the other; anything else
is None (unknown), never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from registry.diff.atoms import LNode
from registry.diff.inclusion import Checker
from registry.diff.model import Policy
from registry.diff.normalize import Side, TooComplex


@dataclass(frozen=True)
class Direction:
    """One direction's answer: True (included), False (with a checked value) or None."""

    included: bool | None
    witness: Any = None
    reason: str = ""


def decide(old: Side, new: Side, policy: Policy, valid: Any,
           directions: tuple[Literal["backward", "forward"], ...] = ("backward", "forward"),
           ) -> dict[str, Direction]:
    """Decide the requested directions; ``valid(side, value)`` validates a whole instance."""
    ck = Checker(policy)
    lenient = not policy.is_strict
    out: dict[str, Direction] = {}
    for d in directions:
        src, dst = (old, new) if d == "backward" else (new, old)
        a = LNode(src, src.root, src.root_base, lenient)
        b = LNode(dst, dst.root, dst.root_base, False)
        try:
            r, cex = ck.incl(a, b)
        except (TooComplex, RecursionError) as exc:
            out[d] = Direction(None, reason=str(exc) or "too complex")
            continue
        except Exception as exc:  # an unreadable part of a schema: unknown, never a crash
            out[d] = Direction(None, reason=f"{type(exc).__name__}: {exc}")
            continue
        if r is False:
            if valid(src.name, cex) is True and valid(dst.name, cex) is False:
                out[d] = Direction(False, cex)
            else:
                out[d] = Direction(None, reason="counterexample not confirmed by validation")
        else:
            out[d] = Direction(r)
    return out
