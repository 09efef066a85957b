"""JSON pointer → (line, column) in a JSON text: a small tolerant scanner for precise diagnostics.

Positions are 1-based; columns count characters (what editors and GitHub annotations show). For
an object member the position is that of its key (where a reader looks for the field); for an
array element or the root, the start of the value. The scanner stops quietly at the first syntax
error, keeping what it found, so a broken file still gets positions for its valid prefix.
"""

from __future__ import annotations

import contextlib
import json
from bisect import bisect_right

from registry.syntax import pointers

# Deeper documents are refused elsewhere (validation limits); here we simply stop descending.
_MAX_DEPTH = 256
_WS = " \t\r\n"
_VALUE_START = frozenset('{["-0123456789tfn')


class _Stop(Exception):
    """The text is not valid JSON from here on."""


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.n = len(text)
        self.offsets: dict[str, int] = {}

    def ws(self, i: int) -> int:
        text, n = self.text, self.n
        while i < n and text[i] in _WS:
            i += 1
        return i

    def string_end(self, i: int) -> int:
        """Index just past the closing quote of the string starting at ``i``."""
        text = self.text
        j = i + 1
        while True:
            q = text.find('"', j)
            if q < 0:
                raise _Stop
            # Count the backslashes before the quote: an odd number escapes it.
            k = q - 1
            while text[k] == "\\":
                k -= 1
            if (q - 1 - k) % 2 == 0:
                return q + 1
            j = q + 1

    def key(self, i: int) -> tuple[str, int]:
        end = self.string_end(i)
        try:
            return json.loads(self.text[i:end]), end
        except ValueError:
            raise _Stop from None

    def value(self, i: int, pointer: str, depth: int) -> int:
        i = self.ws(i)
        if i >= self.n:
            raise _Stop
        c = self.text[i]
        if c not in _VALUE_START:
            raise _Stop
        self.offsets.setdefault(pointer, i)
        if c == "{":
            return self.obj(i + 1, pointer, depth + 1)
        if c == "[":
            return self.arr(i + 1, pointer, depth + 1)
        if c == '"':
            return self.string_end(i)
        j = i
        while j < self.n and self.text[j] not in _WS and self.text[j] not in ",]}":
            j += 1
        if j == i:
            raise _Stop
        return j

    def obj(self, i: int, pointer: str, depth: int) -> int:
        i = self.ws(i)
        if i < self.n and self.text[i] == "}":
            return i + 1
        while True:
            i = self.ws(i)
            if i >= self.n or self.text[i] != '"':
                raise _Stop
            start = i
            name, i = self.key(i)
            child = pointer + "/" + pointers.escape(name)
            self.offsets[child] = start
            i = self.ws(i)
            if i >= self.n or self.text[i] != ":":
                raise _Stop
            i = self.skip_or_descend(i + 1, child, depth)
            i = self.ws(i)
            if i < self.n and self.text[i] == ",":
                i += 1
                continue
            if i < self.n and self.text[i] == "}":
                return i + 1
            raise _Stop

    def arr(self, i: int, pointer: str, depth: int) -> int:
        i = self.ws(i)
        if i < self.n and self.text[i] == "]":
            return i + 1
        index = 0
        while True:
            i = self.skip_or_descend(i, f"{pointer}/{index}", depth)
            index += 1
            i = self.ws(i)
            if i < self.n and self.text[i] == ",":
                i += 1
                continue
            if i < self.n and self.text[i] == "]":
                return i + 1
            raise _Stop

    def skip_or_descend(self, i: int, pointer: str, depth: int) -> int:
        if depth > _MAX_DEPTH:
            raise _Stop
        return self.value(i, pointer, depth)


def pointer_offsets(text: str) -> dict[str, int]:
    """Character offset of every pointer found in ``text`` (see the module docstring)."""
    scanner = _Scanner(text)
    start = 1 if text.startswith("\ufeff") else 0
    with contextlib.suppress(_Stop, IndexError):
        scanner.value(start, "", 0)
    return scanner.offsets


class LineIndex:
    """Turns character offsets into 1-based (line, column)."""

    def __init__(self, text: str) -> None:
        self._starts = [0]
        pos = text.find("\n")
        while pos >= 0:
            self._starts.append(pos + 1)
            pos = text.find("\n", pos + 1)

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column) of a character offset."""
        line = bisect_right(self._starts, offset)
        return line, offset - self._starts[line - 1] + 1


def pointer_positions(text: str) -> dict[str, tuple[int, int]]:
    """(line, column) of every JSON pointer in ``text``; ``""`` is the root value."""
    index = LineIndex(text)
    return {p: index.position(o) for p, o in pointer_offsets(text).items()}


class SourceMap:
    """Positions of one document, computed once and queried many times."""

    def __init__(self, text: str) -> None:
        self.positions = pointer_positions(text)

    def locate(self, pointer: str) -> tuple[int, int] | None:
        """Position of ``pointer`` or of its nearest existing parent; None if nothing is known."""
        while True:
            found = self.positions.get(pointer)
            if found is not None or pointer == "":
                return found
            pointer = pointer[: pointer.rfind("/")] if "/" in pointer else ""


def locate(text: str, pointer: str) -> tuple[int, int] | None:
    """(line, column) of ``pointer`` in ``text``, falling back to the nearest existing parent."""
    return SourceMap(text).locate(pointer)
