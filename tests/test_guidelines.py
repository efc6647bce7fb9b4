"""Guidelines: Markdown rendered to HTML that keeps structure and drops anything executable."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from nblabel.core.guidelines import load_guidelines, render_markdown, sanitize_html

DANGEROUS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<iframe src="https://evil.example"></iframe>',
    "<style>body{display:none}</style>",
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<svg onload="alert(1)"><circle/></svg>',
    '![img](x" onerror="alert(1))',
    '<object data="evil.swf"></object>',
    '<form action="https://evil.example"><input></form>',
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="vbscript:msgbox(1)">x</a>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<meta http-equiv=refresh content='0;url=https://evil.example'>",
]

ALLOWED = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "details", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "kbd", "li", "mark", "ol", "p", "pre", "s", "strong", "sub", "summary", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip


class Elements(HTMLParser):
    """The real elements and attributes of an HTML fragment (escaped text is not an element)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def assert_inert(html: str) -> None:
    for tag, attrs in Elements(html).elements:
        assert tag in ALLOWED, (tag, html)
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, html)
            assert name in {"href", "title", "align", "rel"}, (tag, name, html)
            if name == "href":
                assert re.match(r"(https?:|mailto:|#|/|[\w.-]+(/|$))", value or "", re.I), (value, html)
                assert not re.match(r"\s*(javascript|vbscript|data):", value or "", re.I), (value, html)


@pytest.mark.parametrize("source", DANGEROUS)
def test_dangerous_markdown_is_neutralised(source):
    html = load_guidelines(f"# Title\n\n{source}\n\nafter").html
    assert_inert(html)
    assert "<h1>Title</h1>" in html and "after" in html


@pytest.mark.parametrize("source", DANGEROUS)
def test_sanitizer_alone_strips_dangerous_html(source):
    # The allow-list holds even for HTML that did not come through the Markdown renderer.
    assert_inert(sanitize_html(source))
    assert_inert(sanitize_html(render_markdown(source)))


def test_assert_inert_catches_what_it_should():
    # guard against a checker that passes everything
    for bad in [
        "<script>x</script>",
        '<a href="javascript:x">a</a>',
        '<p onclick="x">p</p>',
        '<p style="x">p</p>',
    ]:
        with pytest.raises(AssertionError):
            assert_inert(bad)


def test_raw_html_in_markdown_is_shown_as_text():
    html = render_markdown("use <b>bold</b> & <script>x()</script>")
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "&amp;" in html
    assert "<script" not in html


def test_structure_is_kept():
    md = """# Sentiment

1. Read the review
2. Pick **one** label

- *sarcasm* → `neg`
- ~~old rule~~

| label | when |
|:------|-----:|
| pos   | praise |

See [the wiki](https://wiki.example/sentiment "Wiki") or [mail](mailto:qa@example.org).

> quoted

```
code block
```
"""
    html = load_guidelines(md).html
    for fragment in [
        "<h1>Sentiment</h1>", "<ol>", "<li>Read the review</li>", "<strong>one</strong>", "<ul>",
        "<em>sarcasm</em>", "<code>neg</code>", "old rule</s>", "<table>", "<thead>", "<th",
        "<td", "praise", "<blockquote>", "<pre><code>code block", 'href="https://wiki.example/sentiment"',
        'title="Wiki"', 'href="mailto:qa@example.org"',
    ]:  # fmt: skip
        assert fragment in html, fragment
    assert 'rel="noopener noreferrer nofollow"' in html


def test_version_is_a_content_hash():
    a = load_guidelines("Label the sentiment.")
    assert a.version == load_guidelines("Label the sentiment.").version
    assert re.fullmatch(r"[0-9a-f]{12}", a.version)
    assert load_guidelines("Label the sentiment!").version != a.version
    assert a.markdown == "Label the sentiment."
    assert load_guidelines(None) is None


def test_path_input(tmp_path: Path):
    path = tmp_path / "guide.md"
    path.write_text("# From a file\n\nÜnïcode ✓", encoding="utf-8")
    by_path = load_guidelines(path)
    by_str = load_guidelines(str(path))
    inline = load_guidelines("# From a file\n\nÜnïcode ✓")
    assert by_path.version == by_str.version == inline.version
    assert "<h1>From a file</h1>" in by_path.html and "Ünïcode ✓" in by_path.html
    with pytest.raises(FileNotFoundError, match="missing.md"):
        load_guidelines(str(tmp_path / "missing.md"))
    with pytest.raises(TypeError):
        load_guidelines(42)


def test_text_that_merely_ends_in_md_is_not_a_path():
    # multi-line text is always Markdown, even when its last word looks like a file name
    g = load_guidelines("See the notes\nin README.md")
    assert "README.md" in g.html
