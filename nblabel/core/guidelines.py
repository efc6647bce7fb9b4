"""Annotation guidelines: Markdown rendered to sanitised HTML, versioned by content hash."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import nh3
from markdown_it import MarkdownIt

from .limits import check_text

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "details", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "kbd", "li", "mark", "ol", "p", "pre", "s", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(["table", "strikethrough"])


@dataclass(frozen=True)
class Guidelines:
    """Guidelines as given (``markdown``), as safe HTML (``html``) and their ``version``."""

    markdown: str
    html: str
    version: str


def sanitize_html(html: str) -> str:
    """Keep only allow-listed tags, attributes and URL schemes; links open safely."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def render_markdown(text: str) -> str:
    """Markdown to sanitised HTML (raw HTML in the source is shown as text, not parsed)."""
    return sanitize_html(_markdown.render(text))


def load_guidelines(source: str | os.PathLike[str] | None) -> Guidelines | None:
    """Guidelines from Markdown text or a path to a Markdown file (``None`` → no panel).

    ``version`` is the first 12 hex digits of the SHA-256 of the Markdown text, so the same
    text always gets the same version and any edit gets a new one.
    """
    if source is None:
        return None
    if isinstance(source, os.PathLike):
        text = Path(source).read_text(encoding="utf-8")
    elif isinstance(source, str):
        candidate = source.strip()
        looks_like_path = "\n" not in candidate and candidate.lower().endswith((".md", ".markdown", ".txt"))
        if looks_like_path:
            path = Path(candidate).expanduser()
            if not path.is_file():
                raise FileNotFoundError(f"guidelines file not found: {candidate}")
            text = path.read_text(encoding="utf-8")
        else:
            text = source
    else:
        raise TypeError(f"guidelines must be Markdown text or a path, got {type(source).__name__}")
    check_text(text, "the guidelines")  # kept in the store by sessions: no NUL, valid Unicode
    version = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return Guidelines(markdown=text, html=render_markdown(text), version=version)
