"""Text offsets across the kernel/browser boundary.

Python indexes a ``str`` by code point; JavaScript indexes a string by UTF-16 code unit, so
every character outside the Basic Multilingual Plane (most emoji, some CJK, ...) counts once in
Python and twice in the browser. Spans are stored with Python code-point offsets, ``end``
exclusive, so that ``text[start:end]`` is the marked string; the browser works in UTF-16 and
this module converts at the boundary. It is the only place that does.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Offsets"]


class Offsets:
    """The offset tables of one text: code point ⇄ UTF-16 code unit."""

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        self.text = text
        # UTF-32 code points as integers; those above U+FFFF take two UTF-16 units.
        points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        widths = np.where(points > 0xFFFF, 2, 1)
        #: ``units[i]``: UTF-16 offset of code point ``i`` (length ``len(text) + 1``).
        self.units = np.concatenate([[0], np.cumsum(widths)]).astype(np.int64)
        self.simple = bool(self.units[-1] == len(text))  # no astral characters: offsets agree

    @property
    def utf16_length(self) -> int:
        """Length of the text in UTF-16 code units (JavaScript's ``text.length``)."""
        return int(self.units[-1])

    def to_utf16(self, index: int) -> int:
        """The UTF-16 offset of code-point offset ``index`` (0 ≤ index ≤ len(text))."""
        if not 0 <= index <= len(self.text):
            raise ValueError(f"offset {index} is outside the text (0..{len(self.text)})")
        return int(index) if self.simple else int(self.units[index])

    def from_utf16(self, unit: int) -> int:
        """The code-point offset of UTF-16 offset ``unit``; ``ValueError`` if it falls inside a
        surrogate pair (between the two halves of one character) or outside the text."""
        if not 0 <= unit <= self.utf16_length:
            raise ValueError(f"UTF-16 offset {unit} is outside the text (0..{self.utf16_length})")
        if self.simple:
            return int(unit)
        index = int(np.searchsorted(self.units, unit))
        if self.units[index] != unit:
            raise ValueError(f"UTF-16 offset {unit} splits a character (a surrogate pair)")
        return index

    def many_to_utf16(self, indices: np.ndarray | list[int]) -> list[int]:
        """:meth:`to_utf16` of many offsets at once."""
        array = np.asarray(indices, dtype=np.int64)
        if array.size and (array.min() < 0 or array.max() > len(self.text)):
            raise ValueError(f"offsets outside the text (0..{len(self.text)})")
        return array.tolist() if self.simple else self.units[array].tolist()
