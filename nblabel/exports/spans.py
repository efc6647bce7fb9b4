"""Span exports: ``jsonl`` (text and spans), token-level IOB2 tags (``bio``, ``conll``) and a
spaCy ``DocBin`` (``spacy``). One document per (item, annotator) with a standing label, or per
item for one value per item (``values=``, such as ``session.final_labels()``); the text is the
one stored with the item's first label, tokenised as the widget did (its custom tokenizer's
tokens are stored with the item; otherwise the default tokenizer).

A task with relations between its spans (``relations=True``) writes them too: ``jsonl`` records
get ``relations`` (``head``/``child`` index that record's ``spans``); the ``DocBin`` keeps them in
``doc.user_data["relations"]`` (indices into ``doc.spans["sc"]``) and in ``doc._.rel`` as spaCy's
relation-extraction tutorial (rel_component) reads it; ``bio``/``conll`` cannot hold relations
and write the spans only."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..agreement.report import sort_key
from ..core.tokens import default_tokenizer
from ..store.store import Store
from .rows import label_rows, per_annotator

SPAN_FORMATS = ("jsonl", "bio", "conll", "spacy")
_SPACE = re.compile(r"\s")


@dataclass
class SpanDoc:
    """One annotated text: which item, the text, its tokens and the spans; who labeled it, when
    and under which guidelines (``None`` for one value per item, such as a final label)."""

    item_id: Any
    annotator: str | None
    text: str
    tokens: list[tuple[int, int]]
    spans: list[dict[str, Any]]
    created_at: pd.Timestamp | None
    guideline_version: str | None
    #: ``{head, child, label}`` indexing :attr:`spans` (a task with relations).
    relations: list[dict[str, Any]] = field(default_factory=list)


def span_docs(
    store: Store, task: str, values: pd.DataFrame | None = None, *, relations: bool = False
) -> Iterator[SpanDoc]:
    """The standing span labels of ``task`` (or ``values``) with their text, in item then
    annotator order (``relations``: values are ``{"spans", "relations"}``)."""
    labels = label_rows(store, task, values)
    keyed = per_annotator(labels)
    shown = store.items(task)
    missing = [
        i for i in pd.unique(labels["item_id"]) if i not in shown.index or pd.isna(shown.loc[i, "text"])
    ]
    if missing:
        raise ValueError(
            f"items {missing[:10]}{' ...' if len(missing) > 10 else ''} of task {task!r} have no stored text "
            "(labels imported with import_annotations carry none): label them in a Spans widget, "
            "or export format='csv' or 'parquet'"
        )
    has_tokens = "tokens" in shown.columns
    records = labels.to_dict("records")
    records.sort(key=lambda r: (sort_key(r["item_id"]), r["annotator"] if keyed else ""))
    for row in records:
        text = shown.loc[row["item_id"], "text"]
        stored = shown.loc[row["item_id"], "tokens"] if has_tokens else None
        tokens = [tuple(t) for t in stored] if isinstance(stored, list) else default_tokenizer(text)
        value = row["value"] or ({} if relations else [])
        yield SpanDoc(
            item_id=row["item_id"],
            annotator=row["annotator"] if keyed else None,
            text=text,
            tokens=tokens,
            spans=list(value["spans"] if relations else value),
            created_at=row.get("created_at") if keyed else None,
            guideline_version=row.get("guideline_version") if keyed else None,
            relations=list(value["relations"]) if relations else [],
        )


def export_spans(
    store: Store,
    task: str,
    path: Path,
    format: str,
    values: pd.DataFrame | None = None,
    *,
    relations: bool = False,
) -> Path:
    """Write the span labels of ``task`` (or ``values``) to ``path`` in ``format`` (one of
    ``SPAN_FORMATS``); ``relations``: the task's values hold relations between the spans."""
    docs = list(span_docs(store, task, values, relations=relations))
    path.parent.mkdir(parents=True, exist_ok=True)
    if format == "jsonl":
        with path.open("w", encoding="utf-8") as fh:
            for doc in docs:
                record: dict[str, Any] = {"item_id": _plain(doc.item_id)}
                if doc.annotator is not None:
                    record["annotator"] = doc.annotator
                record["text"] = doc.text
                record["spans"] = [{k: s[k] for k in ("start", "end", "label")} for s in doc.spans]
                if relations:
                    keys = ("head", "child", "label")
                    record["relations"] = [{k: r[k] for k in keys} for r in doc.relations]
                if doc.annotator is not None:
                    record["created_at"] = doc.created_at.isoformat()
                    record["guideline_version"] = doc.guideline_version
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    elif format in ("bio", "conll"):
        _write_iob(docs, path, conll=format == "conll")
    elif format == "spacy":
        kinds = list(store.task(task).config.get("relations") or []) if relations else None
        _write_docbin(docs, path, kinds)
    else:  # pragma: no cover - the caller checks
        raise ValueError(f"format {format!r} is not one of {SPAN_FORMATS}")
    return path


def iob_tags(doc: SpanDoc) -> list[str]:
    """IOB2 tags of the document's tokens: a token inside (or overlapping) a span is ``B-``
    for the span's first token and ``I-`` after it. Nested or crossing spans cannot be
    expressed in IOB: the longest span wins and the others are left out (with a warning)."""
    tags = ["O"] * len(doc.tokens)
    taken = [False] * len(doc.tokens)
    dropped = 0
    for span in sorted(doc.spans, key=lambda s: (s["start"] - s["end"], s["start"])):
        inside = [i for i, (a, b) in enumerate(doc.tokens) if a < span["end"] and span["start"] < b]
        if not inside or any(taken[i] for i in inside):
            dropped += 1
            continue
        for n, i in enumerate(inside):
            tags[i] = f"{'B' if n == 0 else 'I'}-{span['label']}"
            taken[i] = True
    if dropped:
        warnings.warn(
            f"item {doc.item_id!r}{_by(doc)}: {dropped} span(s) overlap a longer span or cover no "
            "token and cannot be written as IOB tags; they were left out",
            UserWarning,
            stacklevel=3,
        )
    return tags


def _write_iob(docs: list[SpanDoc], path: Path, *, conll: bool) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for doc in docs:
            tags = iob_tags(doc)
            if conll:
                fh.write("-DOCSTART- -X- -X- O\n\n")
            for (a, b), tag in zip(doc.tokens, tags, strict=True):
                token = _SPACE.sub("_", doc.text[a:b])
                fh.write(f"{token} -X- _ {tag}\n" if conll else f"{token}\t{tag}\n")
            fh.write("\n")


def _write_docbin(docs: list[SpanDoc], path: Path, relation_labels: list[Any] | None = None) -> None:
    try:
        import spacy
        from spacy.tokens import DocBin
        from spacy.util import filter_spans
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("format='spacy' needs spaCy: pip install 'nblabel[spacy]'") from exc
    nlp = spacy.blank("xx")
    bin_ = DocBin(store_user_data=True)
    for doc in docs:
        sdoc = nlp.make_doc(doc.text)
        spans, where = [], []  # where[i]: the position in `spans` of the i-th span, or None
        for s in doc.spans:
            span = sdoc.char_span(s["start"], s["end"], label=s["label"], alignment_mode="expand")
            covers = span is not None and len(span) > 0  # whitespace alone covers no token
            where.append(len(spans) if covers else None)
            if covers:
                spans.append(span)
        sdoc.spans["sc"] = spans  # every span, nested ones included (spancat)
        sdoc.set_ents(filter_spans(spans))  # the longest non-overlapping ones (ner)
        sdoc.user_data["item_id"] = _plain(doc.item_id)
        if doc.annotator is not None:
            sdoc.user_data["annotator"] = doc.annotator
        if relation_labels is not None:
            _keep_relations(doc, sdoc, spans, where, relation_labels)
        bin_.add(sdoc)
    bin_.to_disk(path)


#: Where spaCy keeps the value of the Doc extension ``doc._.rel`` in ``doc.user_data``.
REL_EXTENSION_KEY = ("._.", "rel", None, None)


def _keep_relations(
    doc: SpanDoc, sdoc: Any, spans: list[Any], where: list[int | None], names: list[Any]
) -> None:
    """The relations of ``doc`` on the spaCy ``sdoc`` (``spans``: its ``sc`` spans; ``where``:
    each of ``doc``'s spans among them): ``user_data["relations"]`` as ``{head, child, label}``
    indexing ``doc.spans["sc"]``, and ``doc._.rel`` as the rel_component tutorial builds it —
    ``{(head start token, child start token): {label: 1.0 or 0.0 for every relation label}}``
    for every ordered pair of distinct spans (written in ``user_data`` under spaCy's key for the
    extension, so reading it needs ``Doc.set_extension("rel", default={})`` and nothing is
    registered here). Spans starting on the same token share one key there."""
    kept, lost = [], 0
    for r in doc.relations:
        head, child = where[r["head"]], where[r["child"]]
        if head is None or child is None:
            lost += 1
            continue
        kept.append({"head": head, "child": child, "label": r["label"]})
    if lost:
        warnings.warn(
            f"item {doc.item_id!r}{_by(doc)}: {lost} relation(s) link a span that covers no token; "
            "they were left out of the DocBin",
            UserWarning,
            stacklevel=4,
        )
    sdoc.user_data["relations"] = kept
    starts = sorted({span.start for span in spans})
    rel = {(a, b): dict.fromkeys(names, 0.0) for a in starts for b in starts if a != b}
    for r in kept:
        key = (spans[r["head"]].start, spans[r["child"]].start)
        if key[0] != key[1]:
            rel[key][r["label"]] = 1.0
    sdoc.user_data[REL_EXTENSION_KEY] = rel


def _by(doc: SpanDoc) -> str:
    return "" if doc.annotator is None else f" ({doc.annotator})"


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value
