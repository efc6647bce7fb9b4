"""Prodigy's JSON Lines (what ``prodigy db-out`` writes): one annotated task per line.

The shapes are those of Prodigy's documentation — "Annotation interfaces"
(prodi.gy/docs/api-interfaces: each interface's JSON task format; an annotated task adds
``answer``: ``"accept"``, ``"reject"`` or ``"ignore"``) and the multi-user sessions of v1.7+
(a named session is saved as ``<dataset>-<session>``) — as db-out writes them (v1.11+ adds
``_annotator_id`` beside ``_session_id``; ``_timestamp`` is seconds since 1970)::

    {"text": "My name is Freya.", "_input_hash": 896529854, "_task_hash": -1486695581,
     "tokens": [{"text": "My", "start": 0, "end": 2, "id": 0, "ws": true}, ...],
     "_view_id": "ner_manual",
     "spans": [{"start": 11, "end": 16, "token_start": 3, "token_end": 3, "label": "PERSON"}],
     "answer": "accept", "_timestamp": 1707211049,
     "_annotator_id": "ner_news-ana", "_session_id": "ner_news-ana"}

Each line records one of three kinds of answer (its *record type*), read by the task kind whose
codec for ``"prodigy"`` reads it:

- ``choice`` (the ``choice`` interface; textcat.manual with several labels): ``options``
  (``[{"id", "text"}]``) and ``accept`` (the chosen ids) → a classify label, or a set of labels
  (multi-label) when ``config.choice_style`` is ``"multiple"`` or an answer chose several.
  The labels are the option ids.
- ``binary`` (the ``classification`` interface; textcat.teach, textcat.manual with one label):
  a top-level ``label`` accepted or rejected → a classify task of two labels,
  ``[label, "not <label>"]`` (config ``{"binary": label}``): accept is the label, reject is
  ``"not <label>"``. Both answers stay labels, so agreement (κ, α, the confusion heatmap) counts
  an accept against a reject, and ``nl.aggregate`` gives each item the label or its negation.
  A file answering several labels imports one label per task (``label=``).
- ``spans`` (``ner_manual``, ``spans_manual``): ``spans`` with ``start``/``end`` — character
  offsets of Python strings, i.e. the code points nblabel stores — and, when the line has
  ``tokens``, ``token_start``/``token_end`` (inclusive), which must select the same characters
  → a spans value; ``spans_manual`` (and overlapping spans) give the task ``overlap=True``.
  Binary span decisions (the ``ner`` view of ner.teach: one suggested span accepted or
  rejected) are refused: they are not a labeling of the text.

``answer``: accept gives the value; ignore is a skip; a rejected choice or span answer is a skip
too (it says the example is wrong, not which labels are right). The annotator is
``_annotator_id``, else ``_session_id``, without the ``<dataset>-`` prefix Prodigy puts before a
session name: ``dataset=`` names the dataset; without it, the file's name when every named
session starts with it (``prodigy db-out ner_news out/`` writes ``out/ner_news.jsonl``), else the
longest prefix ending in ``-`` that all named sessions share (``ner_news-ana`` → ``ana``).
Unnamed sessions (the time they started, ``2024-02-06_10-17-19``) keep their name;
``annotator=`` names every line's annotator instead.
The item id is ``id_field=`` (a top-level field, or ``meta.<field>``), else ``meta.item_id``
when every line has one (nblabel's export writes it), else ``_input_hash``. ``_timestamp`` is
the time of the answer; Prodigy keeps no active time.

Written files are what db-out gives: one line per annotator and item (skips as ``ignore``),
the tokens the item was labeled with (split where a span starts or ends inside one, so every
span is whole tokens), ``_annotator_id``/``_session_id`` as ``<dataset>-<annotator>``
(``dataset=``, default the file's name, as db-out names it, so that reading it back finds every
name whole), the item id in ``meta.item_id`` (Prodigy shows ``meta`` beside the task), and
32-bit hashes: ``_input_hash`` is the item id when it is a 32-bit integer (an item that came from
Prodigy gets its hash back), else a hash of the text; ``_task_hash`` covers the input and the
question (Prodigy's ``set_hashes(eg, overwrite=True)`` recomputes its own).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from ..core.tokens import default_tokenizer
from .base import ImportedTask, events_frame, read_jsonl
from .records import (
    Decoded,
    Items,
    Record,
    as_records,
    export_rows,
    file_type,
    item_text,
    json_id,
    plain,
    reader_for,
)

__all__ = [
    "BINARY",
    "CHOICE",
    "SPANS",
    "PRODIGY",
    "ProdigyClassifyCodec",
    "ProdigyFormat",
    "ProdigySpansCodec",
    "aligned_tokens",
    "annotator_names",
]

#: The record types of a Prodigy line.
CHOICE, BINARY, SPANS = "choice", "binary", "spans"
#: The ``field=`` option: which field of each line to read.
FIELDS = {"accept": CHOICE, "label": BINARY, "spans": SPANS}
ANSWERS = ("accept", "reject", "ignore")
#: Views whose spans are one suggestion accepted or rejected, not a labeling of the text.
BINARY_SPAN_VIEWS = ("ner", "spans")
#: Views of manual span labeling.
MANUAL_SPAN_VIEWS = ("ner_manual", "spans_manual")
#: An unnamed Prodigy session: the time it started (optionally after ``<dataset>-``).
_SESSION_TIME = re.compile(r"(?:.+-)?\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}")


@dataclass
class ItemOut:
    """One item as a writer sees it: its text, the tokens the store kept for it (or ``None``),
    every value written for it (spans align the tokens to all of them) and a cache."""

    text: str | None
    tokens: list[tuple[int, int]] | None
    values: list[Any]
    cache: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------------------------ codecs
class ProdigyClassifyCodec:
    """Prodigy's choice and binary answers ⇄ classify labels (see the module's docstring)."""

    def reads(self, record_type: str) -> bool:
        """Whether this codec reads lines of ``record_type``."""
        return record_type in (CHOICE, BINARY)

    def decode(
        self, path: Path, records: Sequence[Record], record_type: str, options: Mapping[str, Any]
    ) -> Decoded:
        """The classify values of ``records`` (choice or binary answers)."""
        if record_type == BINARY:
            return self._decode_binary(path, records, options)
        return self._decode_choice(path, records, options.get("multi"))

    def _decode_choice(self, path: Path, records: Sequence[Record], multi: bool | None) -> Decoded:
        labels: dict[Any, None] = {}
        chosen = []
        for r in records:
            options = r.data.get("options", [])
            if not isinstance(options, list):
                raise ValueError(
                    f"{path}: {r.where}: options: must be a list of {{id, text}}, got {options!r}"
                )
            ids = []
            for k, option in enumerate(options):
                if not isinstance(option, dict) or not _label_like(option.get("id")):
                    raise ValueError(
                        f"{path}: {r.where}: options[{k}]: needs an id (text or a number), got {option!r}"
                    )
                ids.append(option["id"])
            accept = r.data.get("accept", [])
            if not isinstance(accept, list):
                raise ValueError(f"{path}: {r.where}: accept: must be a list of option ids, got {accept!r}")
            for k, choice in enumerate(accept):
                if not _label_like(choice) or (options and choice not in ids):
                    raise ValueError(
                        f"{path}: {r.where}: accept[{k}]: {choice!r} is not one of the line's options {ids}"
                    )
            labels.update(dict.fromkeys(ids))
            labels.update(dict.fromkeys(accept))
            chosen.append(accept)
        if multi is None:
            multi = any(
                _choice_style(r) == "multiple" or len(a) > 1 for r, a in zip(records, chosen, strict=True)
            )
        answers: list[tuple[str, Any]] = []
        for r, accept in zip(records, chosen, strict=True):
            if _answer(path, r) != "accept":
                answers.append(("skip", None))
            elif multi:
                answers.append(("label", list(accept)))
            elif len(accept) > 1:
                raise ValueError(
                    f"{path}: {r.where}: accept: {len(accept)} options chosen, but multi=False "
                    "(one label per item)"
                )
            else:  # a single choice accepted with nothing chosen says nothing: a skip
                answers.append(("label", accept[0]) if accept else ("skip", None))
        return Decoded(list(labels), {"multi": True} if multi else {}, answers)

    def _decode_binary(self, path: Path, records: Sequence[Record], options: Mapping[str, Any]) -> Decoded:
        label = records[0].data["label"]
        negative = options.get("reject_label")
        negative = f"not {label}" if negative is None else negative
        if negative == label:
            raise ValueError(f"{path}: reject_label= must differ from the label {label!r}")
        answers: list[tuple[str, Any]] = []
        for r in records:
            answer = _answer(path, r)
            if answer == "ignore":
                answers.append(("skip", None))
            else:
                answers.append(("label", label if answer == "accept" else negative))
        return Decoded([label, negative], {"binary": label}, answers)

    def encode(
        self, value: Any, *, labels: Sequence[Any], config: Mapping[str, Any], item: ItemOut
    ) -> tuple[dict[str, Any], str]:
        """The fields of a Prodigy line holding ``value`` (``None``: a skip) and its answer."""
        binary = config.get("binary")
        if binary is not None and len(labels) == 2 and labels[0] == binary:
            answer = "ignore" if value is None else ("accept" if value == binary else "reject")
            return {"label": plain(binary), "_view_id": "classification"}, answer
        multi = bool(config.get("multi"))
        fields: dict[str, Any] = {
            "options": [{"id": plain(label), "text": str(label)} for label in labels],
            "_view_id": "choice",
            "config": {"choice_style": "multiple" if multi else "single"},
        }
        if value is None:
            fields["accept"] = []
            return fields, "ignore"
        fields["accept"] = [plain(v) for v in (value if isinstance(value, list) else [value])]
        return fields, "accept"


class ProdigySpansCodec:
    """Prodigy's manual span answers (``ner_manual``, ``spans_manual``) ⇄ spans values."""

    def reads(self, record_type: str) -> bool:
        """Whether this codec reads lines of ``record_type``."""
        return record_type == SPANS

    def decode(
        self, path: Path, records: Sequence[Record], record_type: str, options: Mapping[str, Any]
    ) -> Decoded:
        """The spans values of ``records``: offsets checked against the line's tokens."""
        labels: dict[Any, None] = {}
        overlap = False
        answers: list[tuple[str, Any]] = []
        shown: list[dict[str, Any]] = []
        for r in records:
            text = r.data.get("text")
            if not isinstance(text, str):
                raise ValueError(f"{path}: {r.where}: text: a span answer needs the text, got {text!r}")
            tokens = _tokens(path, r, text)
            spans = r.data.get("spans")
            if not isinstance(spans, list):
                raise ValueError(
                    f"{path}: {r.where}: spans: must be a list of {{start, end, label}}, got {spans!r}"
                )
            value = [_span(path, r, k, s, text, tokens) for k, s in enumerate(spans)]
            labels.update(dict.fromkeys(s["label"] for s in value))
            ordered = sorted(value, key=lambda s: (s["start"], s["end"]))
            overlap = (
                overlap
                or r.data.get("_view_id") == "spans_manual"
                or any(b["start"] < a["end"] for a, b in zip(ordered, ordered[1:], strict=False))
            )
            answers.append(("label", value) if _answer(path, r) == "accept" else ("skip", None))
            shown.append({"tokens": [list(t) for t in tokens]} if tokens is not None else {})
        return Decoded(list(labels), {"overlap": True} if overlap else {}, answers, shown)

    def encode(
        self, value: Any, *, labels: Sequence[Any], config: Mapping[str, Any], item: ItemOut
    ) -> tuple[dict[str, Any], str]:
        """The fields of a Prodigy line holding ``value`` (``None``: a skip) and its answer."""
        if item.text is None:
            raise ValueError("a span task's items need their text; this item has only an image")
        tokens = item.cache.get("tokens")
        if tokens is None:
            every = [s for v in item.values if v for s in v]
            base = item.tokens if item.tokens is not None else default_tokenizer(item.text)
            tokens = item.cache["tokens"] = aligned_tokens(item.text, base, every)
        by_start = {a: i for i, (a, _) in enumerate(tokens)}
        by_end = {b: i for i, (_, b) in enumerate(tokens)}
        spans = [
            {"start": s["start"], "end": s["end"], "token_start": by_start[s["start"]],
             "token_end": by_end[s["end"]], "label": plain(s["label"])}
            for s in (value or [])
        ]  # fmt: skip
        text = item.text
        fields = {
            "tokens": [
                {"text": text[a:b], "start": a, "end": b, "id": i, "ws": text[b : b + 1].isspace()}
                for i, (a, b) in enumerate(tokens)
            ],
            "spans": spans,
            "_view_id": "spans_manual" if config.get("overlap") else "ner_manual",
        }
        return fields, "ignore" if value is None else "accept"


# ------------------------------------------------------------------------------------ the format
class ProdigyFormat:
    """Prodigy's JSON Lines: read (``store.import_file(path, format="prodigy", task=...)``) and
    written (``store.export(task, path, format="prodigy")``)."""

    name: ClassVar[str] = "prodigy"
    description: ClassVar[str] = (
        "Prodigy's JSON Lines (prodigy db-out): choice, binary and manual span answers"
    )

    def read(
        self,
        path: Path,
        *,
        id_field: str | None = None,
        dataset: str | None = None,
        annotator: str | None = None,
        label: Any = None,
        reject_label: Any = None,
        multi: bool | None = None,
        field: str | None = None,
    ) -> ImportedTask:
        """The annotated tasks of the Prodigy JSON Lines file at ``path``.

        ``id_field``: the field that identifies an item (``"meta.id"`` reads ``meta``);
        ``dataset``: the Prodigy dataset whose ``<dataset>-`` prefix leaves session names
        (``""`` keeps them whole); ``annotator``: every line's annotator; ``label``: the label
        whose binary answers to import (a file answering several); ``reject_label``: the label
        a rejected binary answer gets (``"not <label>"``); ``multi``: whether choice answers are
        label sets (default: when a line says ``choice_style: multiple`` or chose several);
        ``field``: ``"accept"``, ``"label"`` or ``"spans"`` — which answers to read from lines
        that hold several (a ``blocks`` interface)."""
        path = Path(path)
        if field is not None and field not in FIELDS:
            raise ValueError(f"field= must be one of {sorted(FIELDS)}, got {field!r}")
        records = as_records(path, read_jsonl(path))
        typed = [(r, _types(path, r, field)) for r in records]
        record_type = file_type(
            path, typed, "pass field='accept', 'label' or 'spans' to say which answers to import"
        )
        if record_type == BINARY:
            records = _one_label(path, records, label)
        elif label is not None:
            raise ValueError(
                f"{path}: label= picks among binary answers; the file holds {record_type} answers"
            )
        kind, codec = reader_for(self.name, record_type, path)
        decoded = codec.decode(path, records, record_type, {"multi": multi, "reject_label": reject_label})
        item_ids = _item_ids(path, records, id_field)
        names = _annotators(path, records, dataset, annotator)
        items = Items(path)
        rows = []
        for k, (r, item_id, who, answer) in enumerate(
            zip(records, item_ids, names, decoded.answers, strict=True)
        ):
            if answer is None:
                continue
            event, value = answer
            shown = _shown(r)
            if decoded.shown:
                shown.update(decoded.shown[k])
            items.add(item_id, shown, r.where)
            rows.append({
                "item_id": item_id, "annotator": who, "kind": event, "value": value,
                "created_at": _timestamp(path, r), "source": r.where,
            })  # fmt: skip
        return ImportedTask(
            kind=kind,
            labels=decoded.labels,
            config=decoded.config,
            events=events_frame(rows),
            items=items.frame(),
        )

    def write(
        self,
        store: Any,
        task: str,
        path: Path,
        *,
        values: pd.DataFrame | None = None,
        dataset: str | None = None,
    ) -> Path:
        """Write ``task`` as Prodigy JSON Lines at ``path``: each annotator's standing label
        (skips as ``ignore``), or ``values`` (one per item, without annotator). ``dataset``
        (default: the file's name, as ``prodigy db-out`` names its file after the dataset)
        prefixes the session names, as Prodigy's named sessions are."""
        path = Path(path)
        ex = export_rows(store, task, values, skips=True)
        codec = ex.kind.exchange_codec(self.name)
        if codec is None:
            raise ValueError(
                f"task {task!r} is a {ex.info.kind} task; Prodigy files carry classify and spans tasks"
            )
        dataset = path.stem if dataset is None else dataset
        if not isinstance(dataset, str):
            raise TypeError(f"dataset= must be text, got {dataset!r}")
        labels, config = list(ex.info.labels), dict(ex.info.config or {})
        items: dict[Any, ItemOut] = {}
        for row in ex.rows:
            if row["item_id"] not in items:
                shown = ex.shown.get(row["item_id"], {})
                stored = shown.get("tokens")
                tokens = [(int(a), int(b)) for a, b in stored] if isinstance(stored, list) else None
                text = shown.get("text")
                if not isinstance(text, str) and not isinstance(shown.get("image"), str):
                    text = item_text(path, ex, row["item_id"], "Prodigy")  # raises: nothing to show
                items[row["item_id"]] = ItemOut(text if isinstance(text, str) else None, tokens, [])
            if row["kind"] == "label":
                items[row["item_id"]].values.append(row["value"])
        lines = []
        for row in ex.rows:
            item = items[row["item_id"]]
            shown = ex.shown.get(row["item_id"], {})
            value = row["value"] if row["kind"] == "label" else None
            fields, answer = codec.encode(value, labels=labels, config=config, item=item)
            line: dict[str, Any] = {"text": shown["text"]} if isinstance(shown.get("text"), str) else {}
            if isinstance(shown.get("image"), str):
                line["image"] = shown["image"]
            line["meta"] = {"item_id": json_id(row["item_id"])}
            line["_input_hash"] = _input_hash(row["item_id"], line)
            line["_task_hash"] = hash32(
                [line["_input_hash"], {k: fields[k] for k in ("options", "label", "spans") if k in fields}]
            )
            line.update(fields)
            line["answer"] = answer
            if ex.per_annotator:
                created = row.get("created_at")
                if created is not None and not pd.isna(created):
                    line["_timestamp"] = int(pd.Timestamp(created).timestamp())
                session = f"{dataset}-{row['annotator']}" if dataset else str(row["annotator"])
                line["_annotator_id"] = session
                line["_session_id"] = session
            lines.append(json.dumps(line, ensure_ascii=False))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        return path


# ------------------------------------------------------------------------------------ reading
def _types(path: Path, r: Record, field: str | None) -> frozenset[str]:
    """The record types line ``r`` fits (``field``: the one the caller chose)."""
    d = r.data
    if field is not None:
        if field not in d:
            raise ValueError(f"{path}: {r.where}: has no {field!r} field (field={field!r})")
        return frozenset({FIELDS[field]})
    types = set()
    if "accept" in d or "options" in d:
        types.add(CHOICE)
    elif "label" in d:
        types.add(BINARY)
    if "spans" in d and "label" not in d:
        if d.get("_view_id") in BINARY_SPAN_VIEWS:
            raise ValueError(
                f"{path}: {r.where}: a binary span decision (_view_id {d['_view_id']!r}, as ner.teach "
                "saves: one suggested span accepted or rejected) is not a labeling of the text; import "
                "manual span answers (ner.manual, spans.manual, ner.correct)"
            )
        if d["spans"] or d.get("_view_id") in MANUAL_SPAN_VIEWS or "tokens" in d or not types:
            types.add(SPANS)
    if not types:
        raise ValueError(f"{path}: {r.where}: holds no 'accept' (choice), 'label' (binary) or 'spans' answer")
    return frozenset(types)


def _one_label(path: Path, records: list[Record], label: Any) -> list[Record]:
    """The binary answers about one label: ``label``, or the file's only one."""
    found: dict[Any, str] = {}
    for r in records:
        value = r.data["label"]
        if not _label_like(value):
            raise ValueError(f"{path}: {r.where}: label: must be text or a number, got {value!r}")
        found.setdefault(value, r.where)
    if label is None:
        if len(found) > 1:
            raise ValueError(
                f"{path}: the file holds binary answers about {len(found)} labels {list(found)}; import "
                "one label per task with label="
            )
        return records
    if label not in found:
        raise ValueError(f"{path}: no line answers label {label!r}; the file's labels are {list(found)}")
    return [r for r in records if r.data["label"] == label]


def _answer(path: Path, r: Record) -> str:
    answer = r.data.get("answer")
    if answer not in ANSWERS:
        if "answer" not in r.data:
            raise ValueError(
                f"{path}: {r.where}: has no 'answer' (accept, reject or ignore): is this an annotated "
                "export (prodigy db-out) or the input of a recipe?"
            )
        raise ValueError(f"{path}: {r.where}: answer: {answer!r} is not one of {ANSWERS}")
    return answer


def _choice_style(r: Record) -> Any:
    config = r.data.get("config")
    return config.get("choice_style") if isinstance(config, dict) else None


def _label_like(value: Any) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool)


def _tokens(path: Path, r: Record, text: str) -> list[tuple[int, int]] | None:
    """The line's ``tokens`` as ``(start, end)`` pairs within the text, or ``None``."""
    tokens = r.data.get("tokens")
    if tokens is None:
        return None
    if not isinstance(tokens, list):
        raise ValueError(f"{path}: {r.where}: tokens: must be a list, got {type(tokens).__name__}")
    out = []
    for k, token in enumerate(tokens):
        start = token.get("start") if isinstance(token, dict) else None
        end = token.get("end") if isinstance(token, dict) else None
        if not (_int(start) and _int(end) and 0 <= start <= end <= len(text)):
            raise ValueError(
                f"{path}: {r.where}: tokens[{k}]: needs start and end in the text (0..{len(text)}), "
                f"got {token!r}"
            )
        out.append((start, end))
    return out


def _span(
    path: Path, r: Record, k: int, span: Any, text: str, tokens: list[tuple[int, int]] | None
) -> dict[str, Any]:
    """Span ``k`` of line ``r`` as ``{start, end, label}``, its offsets checked against its
    token indices and its ``text`` where the line has them."""
    where = f"{path}: {r.where}: spans[{k}]"
    if not isinstance(span, dict):
        raise ValueError(f"{where}: must be {{start, end, label}}, got {span!r}")
    for name in ("start", "end", "label"):
        if name not in span:
            raise ValueError(f"{where}: has no {name!r}")
    start, end, label = span["start"], span["end"], span["label"]
    if not (_int(start) and _int(end)):
        raise ValueError(f"{where}: start and end must be integer character offsets, got {start!r}, {end!r}")
    if not _label_like(label):
        raise ValueError(f"{where}: label: must be text or a number, got {label!r}")
    if tokens is not None and "token_start" in span and "token_end" in span:
        first, last = span["token_start"], span["token_end"]
        if not (_int(first) and _int(last) and 0 <= first <= last < len(tokens)):
            raise ValueError(
                f"{where}: token_start/token_end {first!r}..{last!r} are not the line's tokens "
                f"(0..{len(tokens) - 1})"
            )
        if (tokens[first][0], tokens[last][1]) != (start, end):
            raise ValueError(
                f"{where}: start/end {start}..{end} do not match tokens {first}..{last} "
                f"({tokens[first][0]}..{tokens[last][1]})"
            )
    said = span.get("text")
    if isinstance(said, str) and 0 <= start <= end <= len(text) and text[start:end] != said:
        raise ValueError(
            f"{where}: start/end {start}..{end} select {text[start:end]!r} but the span's text is {said!r} "
            "(offsets must count Python characters, i.e. code points)"
        )
    return {"start": start, "end": end, "label": label}


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _item_ids(path: Path, records: Sequence[Record], id_field: str | None) -> list[Any]:
    """Each line's item id: ``id_field``, else ``meta.item_id`` when every line has one, else
    ``_input_hash``."""
    if id_field is None:
        every = all(isinstance(r.data.get("meta"), dict) and "item_id" in r.data["meta"] for r in records)
        id_field = "meta.item_id" if every else "_input_hash"
    out = []
    for r in records:
        if id_field.startswith("meta."):
            meta = r.data.get("meta")
            key = id_field[len("meta.") :]
            found = isinstance(meta, dict) and key in meta
            value = meta[key] if found else None
        else:
            found = id_field in r.data
            value = r.data.get(id_field)
        if not found:
            hint = " (Prodigy adds it to every task)" if id_field == "_input_hash" else ""
            raise ValueError(
                f"{path}: {r.where}: has no {id_field!r} to identify the item{hint}; pass id_field="
            )
        if isinstance(value, bool) or not isinstance(value, (int, str, float)):
            raise ValueError(
                f"{path}: {r.where}: {id_field}: an item id must be text or a number, got {value!r}"
            )
        out.append(value)
    return out


def _annotators(
    path: Path, records: Sequence[Record], dataset: str | None, annotator: str | None
) -> list[str]:
    """Each line's annotator (see :func:`annotator_names`)."""
    if annotator is not None:
        if not isinstance(annotator, str) or not annotator:
            raise ValueError(f"annotator= must be a non-empty string, got {annotator!r}")
        return [annotator] * len(records)
    raw = []
    for r in records:
        value = r.data.get("_annotator_id", r.data.get("_session_id"))
        if value is None:
            raise ValueError(
                f"{path}: {r.where}: has no '_annotator_id' or '_session_id' (Prodigy before v1.7?); "
                "pass annotator= to name who labeled the file"
            )
        if not isinstance(value, str) or not value:
            raise ValueError(f"{path}: {r.where}: _annotator_id: must be a non-empty string, got {value!r}")
        raw.append(value)
    names = annotator_names(raw, dataset, stem=path.stem)
    return [names[v] for v in raw]


def annotator_names(
    ids: Sequence[str], dataset: str | None = None, *, stem: str | None = None
) -> dict[str, str]:
    """Prodigy session ids → annotator names: ``<dataset>-<name>`` → ``<name>``.

    ``dataset`` removes exactly ``<dataset>-`` (``""``: names stay whole). Without it, the
    dataset is ``stem`` (the file's name) when every named session starts with ``<stem>-``;
    else the longest prefix ending in ``-`` that every named session shares is removed (for
    one session, up to its last ``-``). Unnamed sessions (the time they started,
    ``2024-02-06_10-17-19``) keep their name."""
    distinct = list(dict.fromkeys(ids))
    named = [v for v in distinct if not _SESSION_TIME.fullmatch(v)]
    if (
        dataset is None
        and stem
        and named
        and all(v.startswith(f"{stem}-") and v != f"{stem}-" for v in named)
    ):
        dataset = stem
    if dataset is not None:
        prefix = f"{dataset}-" if dataset else ""
    else:
        common = os.path.commonprefix(named) if named else ""
        prefix = common[: common.rfind("-") + 1]
    out = {}
    for v in distinct:
        unnamed = dataset is None and _SESSION_TIME.fullmatch(v)
        strip = prefix and v.startswith(prefix) and len(v) > len(prefix) and not unnamed
        out[v] = v[len(prefix) :] if strip else v
    return out


def _shown(r: Record) -> dict[str, Any]:
    """What the item of line ``r`` showed: its ``text`` (or ``html``, kept as text) and an
    ``image`` given as a path or URL (embedded data URIs stay out of the store)."""
    shown: dict[str, Any] = {}
    text = r.data.get("text", r.data.get("html"))
    if isinstance(text, str):
        shown["text"] = text
    image = r.data.get("image")
    if isinstance(image, str) and not image.startswith("data:"):
        shown["image"] = image
    return shown


def _timestamp(path: Path, r: Record) -> pd.Timestamp | None:
    """``_timestamp`` (seconds since 1970) as a UTC time, or ``None``."""
    value = r.data.get("_timestamp")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{path}: {r.where}: _timestamp: must be seconds since 1970, got {value!r}")
    return pd.Timestamp(value, unit="s", tz="UTC")


# ------------------------------------------------------------------------------------ writing
def aligned_tokens(
    text: str, tokens: Sequence[tuple[int, int]], spans: Sequence[Mapping[str, Any]]
) -> list[tuple[int, int]]:
    """``tokens`` of ``text`` split so that every span starts and ends on a token boundary
    (Prodigy's manual interfaces select whole tokens): a token a span starts or ends inside is
    cut there, and where a span starts or ends in the space between tokens, that part of the
    space becomes a token."""
    cuts = sorted({s["start"] for s in spans} | {s["end"] for s in spans})
    starts = {s["start"] for s in spans}
    ends = {s["end"] for s in spans}
    out: list[tuple[int, int]] = []
    for a, b in sorted(tokens):
        points = [a, *(c for c in cuts if a < c < b), b]
        out.extend(zip(points, points[1:], strict=False))
    gaps, at = [], 0
    for a, b in sorted(tokens):
        if at < a:
            gaps.append((at, a))
        at = max(at, b)
    if at < len(text):
        gaps.append((at, len(text)))
    for g0, g1 in gaps:
        points = [g0, *(c for c in cuts if g0 < c < g1), g1]
        out.extend((p, q) for p, q in zip(points, points[1:], strict=False) if p in starts or q in ends)
    return sorted(out)


def _input_hash(item_id: Any, line: Mapping[str, Any]) -> int:
    """A line's ``_input_hash``: the item id when it is a 32-bit integer (an item imported from
    Prodigy gets its hash back), else a hash of what the item shows."""
    item_id = plain(item_id)
    if isinstance(item_id, int) and not isinstance(item_id, bool) and -(2**31) <= item_id < 2**31:
        return item_id
    return hash32({k: line[k] for k in ("text", "image") if k in line})


def hash32(value: Any) -> int:
    """A signed 32-bit hash of ``value``'s JSON (the size of Prodigy's hashes)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=4).digest()
    return int.from_bytes(digest, "little", signed=True)


PRODIGY = ProdigyFormat()
