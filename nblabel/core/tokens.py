"""Tokenisation for span tagging: where a selection snaps to.

The default tokenizer splits text into words (letters, combining marks and digits, with inner
apostrophes and hyphens: ``don't``, ``state-of-the-art``), numbers (``3.14``, ``1,000``),
single CJK characters (Chinese, Japanese and Korean text has no spaces between words), and
single grapheme clusters for anything else that is not whitespace (punctuation, symbols, an
emoji with its skin tone or ZWJ sequence). Offsets are Python code points, ``end`` exclusive.

A custom ``tokenizer=`` is any callable that takes the text and returns ``(start, end)`` pairs
(a spaCy pipeline: ``lambda text: [(t.idx, t.idx + len(t)) for t in nlp(text)]``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import regex

__all__ = ["Tokenizer", "default_tokenizer", "check_tokens"]

#: A tokenizer: text -> (start, end) code-point pairs.
Tokenizer = Callable[[str], Iterable[Any]]

_CJK = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}"
_TOKEN = regex.compile(
    rf"""
    [{_CJK}]\p{{M}}*                                      # one CJK character
    | \p{{N}}+(?:[.,]\p{{N}}+)*\p{{M}}*                   # a number: 3.14, 1,000
    | (?:(?![{_CJK}])[\p{{L}}\p{{N}}_]\p{{M}}*)+          # a word ...
      (?:['’\-](?:(?![{_CJK}])[\p{{L}}\p{{N}}_]\p{{M}}*)+)*  # ... with inner ' or -
    | (?!\s)\X                                            # any other grapheme cluster
    """,
    regex.VERBOSE | regex.UNICODE,
)


def default_tokenizer(text: str) -> list[tuple[int, int]]:
    """Words, numbers, CJK characters and other grapheme clusters, whitespace left out."""
    return [m.span() for m in _TOKEN.finditer(text)]


def check_tokens(tokens: Iterable[Any], text: str, where: str) -> list[tuple[int, int]]:
    """``tokens`` as sorted, non-overlapping ``(start, end)`` int pairs within ``text``;
    ``ValueError`` naming ``where`` (the row) and the bad token otherwise."""
    out: list[tuple[int, int]] = []
    for token in tokens:
        try:
            start, end = (int(v) for v in token)
        except (TypeError, ValueError):
            raise ValueError(f"{where}: the tokenizer returned {token!r}, not a (start, end) pair") from None
        if not 0 <= start < end <= len(text):
            raise ValueError(
                f"{where}: the tokenizer returned ({start}, {end}): empty or outside the text "
                f"(0..{len(text)})"
            )
        out.append((start, end))
    out.sort()
    for (_, end_a), (start_b, end_b) in zip(out, out[1:], strict=False):
        if start_b < end_a:
            raise ValueError(
                f"{where}: the tokenizer returned overlapping tokens (one ends at {end_a}, the next "
                f"is ({start_b}, {end_b}))"
            )
    return out
