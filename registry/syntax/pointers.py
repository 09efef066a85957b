"""JSON Pointer (RFC 6901) helpers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def escape(token: str | int) -> str:
    """Escape one reference token."""
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """Unescape one reference token."""
    return token.replace("~1", "/").replace("~0", "~")


def join(parts: Iterable[str | int]) -> str:
    """Build a pointer from tokens: ``join(["properties", "a/b"]) == "/properties/a~1b"``."""
    return "".join("/" + escape(p) for p in parts)


def child(pointer: str, *tokens: str | int) -> str:
    """Extend a pointer by tokens."""
    return pointer + join(tokens)


def split(pointer: str) -> list[str]:
    """Tokens of a pointer; ``""`` is the whole document."""
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"JSON pointer must start with '/': {pointer!r}")
    return [unescape(t) for t in pointer[1:].split("/")]


def resolve(document: Any, pointer: str) -> Any:
    """The value at ``pointer``; KeyError/IndexError when absent."""
    node = document
    for token in split(pointer):
        if isinstance(node, list):
            node = node[int(token)]
        elif isinstance(node, dict):
            node = node[token]
        else:
            raise KeyError(token)
    return node
