"""doccano's JSON Lines: text classification and sequence labeling, one file per annotator.

The shapes are those doccano (v1.6 and later) writes — ``backend/data_export`` of
github.com/doccano/doccano: each example as ``{"id", "text", <its meta fields>, <labels>,
"Comments"}``, written by pandas ``to_json(orient="records", lines=True)`` — and reads back
(its import format, the "label" column by default; older guides use ``"labels"``):

- text classification: ``"label": ["positive", ...]`` (sorted label names) → classify; a set of
  labels (multi-label) when ``multi=True`` or a line has several;
- sequence labeling: ``"label": [[start, end, "ORG"], ...]`` → spans; with relations enabled,
  ``"entities": [{"id", "label", "start_offset", "end_offset"}]`` (and ``"relations"``, left
  out);
- intent detection: ``"entities": [[start, end, label]]`` and ``"cats": [...]`` on each line:
  ``field="entities"`` or ``field="cats"`` says which to import.

An export is a zip: a project with collaborative annotation writes ``all.jsonl`` (everyone's
labels merged); otherwise one ``<username>.jsonl`` per member, each listing every example of the
project, with ``[]`` for the examples that member did not label. So an empty list is read as
*not labeled* (no event); pass ``keep_empty=True`` for an export of confirmed examples only,
where an empty list is an answer (no spans; no category). A file, a folder of files or a zip
imports; each file's annotator is its name without ``.jsonl`` (``annotator=`` names the
annotator of a single file). Item ids are doccano's example ``id`` (``id_field=`` names another
field, such as a meta field of the upload). doccano keeps no times.

Span offsets: doccano's sequence labeling counts UTF-16 code units, as JavaScript does (an emoji
outside the Basic Multilingual Plane is two; doccano issue #2290), or grapheme clusters when the
project counts "grapheme clusters as one character"; nblabel stores code points.
``offsets="utf-16"`` (default), ``"graphemes"`` or ``"code-points"`` (a file made by a Python
script) says how the file counts, for reading and writing.

Written files follow the same layout: a path ending in ``.zip`` gets one ``<annotator>.jsonl``
per annotator (names percent-encoded where a file name could not hold them), another path a
folder of them; a ``.jsonl`` path one file (one annotator, or ``values=``, one value per item:
``all.jsonl`` in a zip or folder). Each line lists the examples that annotator labeled.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar
from urllib.parse import quote, unquote

import pandas as pd
import regex

from ..core.offsets import Offsets
from .base import ImportedTask, events_frame, read_json, read_jsonl
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
    "CATEGORIES",
    "DOCCANO",
    "OFFSETS",
    "SPANS",
    "DoccanoClassifyCodec",
    "DoccanoFormat",
    "DoccanoSpansCodec",
    "annotator_file",
    "annotator_of",
]

#: The record types of a doccano line.
CATEGORIES, SPANS = "categories", "spans"
#: The fields that hold labels, and the record types each may hold.
FIELDS = {"label": None, "labels": None, "entities": SPANS, "cats": CATEGORIES}
#: How a file counts span offsets.
OFFSETS = ("utf-16", "graphemes", "code-points")
#: Longest file name most file systems take, in bytes.
MAX_FILE_NAME = 255
_GRAPHEME = regex.compile(r"\X")


# ------------------------------------------------------------------------------------ codecs
class DoccanoClassifyCodec:
    """doccano's category lists (text classification) ⇄ classify labels."""

    def reads(self, record_type: str) -> bool:
        """Whether this codec reads lines of ``record_type``."""
        return record_type == CATEGORIES

    def decode(
        self, path: Path, records: Sequence[Record], record_type: str, options: Mapping[str, Any]
    ) -> Decoded:
        """The classify values of ``records``; an empty list is no event unless ``keep_empty``."""
        key = options["field"]
        lists = [_labels(path, r, key(r)) for r in records]
        labels: dict[Any, None] = {}
        for found in lists:
            labels.update(dict.fromkeys(found))
        multi = options.get("multi")
        if multi is None:
            multi = any(len(found) > 1 for found in lists)
        answers: list[tuple[str, Any] | None] = []
        for r, found in zip(records, lists, strict=True):
            if not found:
                answers.append(
                    (("label", []) if multi else ("skip", None)) if options["keep_empty"] else None
                )
            elif multi:
                answers.append(("label", list(found)))
            elif len(found) > 1:
                raise ValueError(
                    f"{path}: {r.where}: {key(r)}: {len(found)} labels, but multi=False (one label per item)"
                )
            else:
                answers.append(("label", found[0]))
        return Decoded(list(labels), {"multi": True} if multi else {}, answers)

    def encode(self, value: Any, *, config: Mapping[str, Any], text: str, offsets: str) -> dict[str, Any]:
        """The label field of a doccano line holding ``value``."""
        return {"label": [plain(v) for v in (value if isinstance(value, list) else [value])]}


class DoccanoSpansCodec:
    """doccano's sequence labels (``[start, end, label]`` or ``{start_offset, end_offset,
    label}``) ⇄ spans values, offsets converted as the file counts them."""

    def reads(self, record_type: str) -> bool:
        """Whether this codec reads lines of ``record_type``."""
        return record_type == SPANS

    def decode(
        self, path: Path, records: Sequence[Record], record_type: str, options: Mapping[str, Any]
    ) -> Decoded:
        """The spans values of ``records``; an empty list is no event unless ``keep_empty``."""
        key = options["field"]
        labels: dict[Any, None] = {}
        overlap = False
        answers: list[tuple[str, Any] | None] = []
        for r in records:
            text = r.data["text"]
            to_points = _reader(text, options["offsets"])
            name = key(r)
            value = [_span(path, r, name, k, s, text, to_points) for k, s in enumerate(r.data[name])]
            labels.update(dict.fromkeys(s["label"] for s in value))
            ordered = sorted(value, key=lambda s: (s["start"], s["end"]))
            overlap = overlap or any(
                b["start"] < a["end"] for a, b in zip(ordered, ordered[1:], strict=False)
            )
            if value or options["keep_empty"]:
                answers.append(("label", value))
            else:
                answers.append(None)
        return Decoded(list(labels), {"overlap": True} if overlap else {}, answers)

    def encode(self, value: Any, *, config: Mapping[str, Any], text: str, offsets: str) -> dict[str, Any]:
        """The label field of a doccano line holding ``value``: ``[[start, end, label]]`` sorted
        as doccano sorts them, offsets counted as ``offsets`` says."""
        to_file = _writer(text, offsets)
        spans = sorted(
            ([to_file(s["start"]), to_file(s["end"]), plain(s["label"])] for s in value or []),
            key=lambda s: (s[0], s[1], str(s[2])),
        )
        return {"label": spans}


# ------------------------------------------------------------------------------------ the format
class DoccanoFormat:
    """doccano's JSON Lines: read (``store.import_file(path, format="doccano", task=...)``: a
    file, a folder of files or doccano's export zip) and written (``store.export(task, path,
    format="doccano")``)."""

    name: ClassVar[str] = "doccano"
    description: ClassVar[str] = (
        "doccano's JSON Lines: text classification and sequence labeling, a file per annotator"
    )

    def read(
        self,
        path: Path,
        *,
        annotator: str | None = None,
        id_field: str = "id",
        offsets: str = "utf-16",
        keep_empty: bool = False,
        multi: bool | None = None,
        field: str | None = None,
    ) -> ImportedTask:
        """The labels of the doccano file, folder or zip at ``path`` (see the module's docstring).

        ``annotator``: the annotator of a single file (default: its name); ``id_field``: the
        field that identifies an example; ``offsets``: how span offsets count (``"utf-16"``,
        ``"graphemes"``, ``"code-points"``); ``keep_empty``: an empty label list is an answer;
        ``multi``: whether categories are label sets (default: when a line has several);
        ``field``: the field holding the labels (``"label"``, ``"labels"``, ``"entities"``,
        ``"cats"``)."""
        path = Path(path)
        if offsets not in OFFSETS:
            raise ValueError(f"offsets= must be one of {OFFSETS}, got {offsets!r}")
        if field is not None and field not in FIELDS:
            raise ValueError(f"field= must be one of {sorted(FIELDS)}, got {field!r}")
        files = list(_files(path))
        if annotator is not None:
            if len(files) != 1 or path.is_dir() or path.suffix.lower() == ".zip":
                raise ValueError(
                    f"{path}: annotator= names the annotator of a single file; here each file is an annotator"
                )
            if not isinstance(annotator, str) or not annotator:
                raise ValueError(f"annotator= must be a non-empty string, got {annotator!r}")
        records: list[Record] = []
        names: list[str] = []
        for name, lines in files:
            found = as_records(path, lines, prefix=f"{name}, " if len(files) > 1 or name != path.name else "")
            who = annotator if annotator is not None else annotator_of(name)
            if not who:
                raise ValueError(f"{path}: {name}: the file name names no annotator")
            records.extend(found)
            names.extend([who] * len(found))
        for r in records:
            if not isinstance(r.data.get("text"), str):
                raise ValueError(
                    f"{path}: {r.where}: text: a doccano line needs the example's text, got "
                    f"{r.data.get('text')!r} (image and audio projects are not imported)"
                )
        typed = [(r, _types(path, r, field)) for r in records]
        record_type = file_type(
            path, typed, "pass field='entities' or field='cats' to say which labels to import"
        )
        kind, codec = reader_for(self.name, record_type, path)
        options = {
            "field": lambda r: _field(r, record_type, field), "offsets": offsets,
            "keep_empty": keep_empty, "multi": multi,
        }  # fmt: skip
        decoded = codec.decode(path, records, record_type, options)
        items = Items(path)
        rows = []
        for r, who, answer in zip(records, names, decoded.answers, strict=True):
            if answer is None:
                continue
            item_id = _item_id(path, r, id_field)
            items.add(item_id, {"text": r.data["text"]}, r.where)
            event, value = answer
            rows.append(
                {"item_id": item_id, "annotator": who, "kind": event, "value": value, "source": r.where}
            )
        if not rows:
            raise ValueError(
                f"{path}: no example has labels (an empty list is read as not labeled; pass "
                "keep_empty=True when it is an answer)"
            )
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
        offsets: str = "utf-16",
    ) -> Path:
        """Write ``task`` for doccano at ``path``: a ``.zip`` (one ``<annotator>.jsonl`` each, as
        doccano exports), a ``.jsonl`` file (one annotator, or ``values=``) or else a folder of
        files. ``offsets`` says how span offsets count (doccano's default: ``"utf-16"``)."""
        path = Path(path)
        if offsets not in OFFSETS:
            raise ValueError(f"offsets= must be one of {OFFSETS}, got {offsets!r}")
        ex = export_rows(store, task, values, skips=False)
        codec = ex.kind.exchange_codec(self.name)
        if codec is None:
            raise ValueError(
                f"task {task!r} is a {ex.info.kind} task; doccano files carry classify and spans tasks"
            )
        config = dict(ex.info.config or {})
        files: dict[str, list[str]] = {}
        for row in ex.rows:
            text = item_text(path, ex, row["item_id"], "doccano")
            try:
                fields = codec.encode(row["value"], config=config, text=text, offsets=offsets)
            except ValueError as exc:
                raise ValueError(f"item {row['item_id']!r}: {exc}") from None
            line = {"id": json_id(row["item_id"]), "text": text, **fields}
            name = annotator_file(row["annotator"]) if ex.per_annotator else "all.jsonl"
            files.setdefault(name, []).append(json.dumps(line, ensure_ascii=False))
        return _write_files(path, files, ex.per_annotator)


# ------------------------------------------------------------------------------------ reading
def _files(path: Path) -> Iterator[tuple[str, Iterator[tuple[int, Any]]]]:
    """``(file name, (number, JSON) pairs)`` of each doccano file at ``path``: the file, the
    ``.jsonl``/``.json`` files of a folder, or those of a zip (doccano's export)."""
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.is_file() and _data_file(p.name))
        if not found:
            raise ValueError(f"{path}: the folder holds no .jsonl files")
        for p in found:
            yield p.name, _file_lines(p)
        return
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            members = sorted((m for m in archive.infolist() if _member(m)), key=lambda m: m.filename)
            if not members:
                raise ValueError(f"{path}: the zip holds no .jsonl files")
            contents = [(PurePosixPath(m.filename).name, archive.read(m)) for m in members]
        for name, data in contents:
            yield name, _text_lines(path, name, data)
        return
    yield path.name, _file_lines(path)


def _member(member: zipfile.ZipInfo) -> bool:
    """Whether a zip member is a doccano file (not a folder, nor macOS's resource forks)."""
    name = PurePosixPath(member.filename).name
    return not member.is_dir() and not member.filename.startswith("__MACOSX/") and _data_file(name)


def _data_file(name: str) -> bool:
    return not name.startswith(".") and name.lower().endswith((".jsonl", ".json"))


def _file_lines(path: Path) -> Iterator[tuple[int, Any]]:
    """The records of a ``.jsonl`` file by line, or of a ``.json`` array by position."""
    if path.suffix.lower() == ".json":
        data = read_json(path)
        if not isinstance(data, list):
            raise ValueError(
                f"{path}: a doccano .json export is a list of examples, got {type(data).__name__}"
            )
        return iter(enumerate(data, 1))
    return read_jsonl(path)


def _text_lines(path: Path, name: str, data: bytes) -> Iterator[tuple[int, Any]]:
    """The records of zip member ``name`` (its bytes ``data``)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: {name}: not UTF-8 text (byte {exc.start})") from None
    if name.lower().endswith(".json"):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"{path}: {name}: line {exc.lineno}, column {exc.colno}: not JSON ({exc.msg})"
            ) from None
        if not isinstance(records, list):
            raise ValueError(f"{path}: {name}: a doccano .json export is a list of examples")
        yield from enumerate(records, 1)
        return
    for number, line in enumerate(io.StringIO(text), 1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"{path}: {name}, line {number}, column {exc.colno}: not JSON ({exc.msg})"
            ) from None


def annotator_of(file_name: str) -> str:
    """The annotator a doccano file belongs to: its name without the extension, percent-decoded
    (doccano names it after the username; :func:`annotator_file` encodes what a file name
    cannot hold)."""
    stem = PurePosixPath(file_name).name
    for suffix in (".jsonl", ".json"):
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return unquote(stem)


def annotator_file(annotator: Any) -> str:
    """The file name of ``annotator``'s labels: the name itself where a file name can hold it
    (doccano's usernames: letters, digits, ``@.+-_``), other characters percent-encoded (and a
    leading dot, so that no file is hidden); ``ValueError`` when it is too long."""
    name = quote(str(annotator), safe="@+")
    if name.startswith("."):
        name = "%2E" + name[1:]
    name += ".jsonl"
    if len(name.encode("utf-8")) > MAX_FILE_NAME:
        raise ValueError(
            f"annotator {str(annotator)[:60]!r} makes a file name of {len(name)} characters, longer than "
            f"file systems take ({MAX_FILE_NAME})"
        )
    return name


def _types(path: Path, r: Record, field: str | None) -> frozenset[str]:
    """The record types line ``r`` fits."""
    d = r.data
    if field is not None:
        if field not in d:
            raise ValueError(f"{path}: {r.where}: has no {field!r} field (field={field!r})")
        return _content_types(path, r, field) if FIELDS[field] is None else frozenset({FIELDS[field]})
    types: set[str] = set()
    for key in ("label", "labels"):
        if key in d:
            types |= _content_types(path, r, key)
            break
    else:
        if "entities" in d:
            types.add(SPANS)
        if "cats" in d:
            types.add(CATEGORIES)
    if not types:
        if "annotations" in d:
            raise ValueError(
                f"{path}: {r.where}: an export of doccano before 1.6 ('annotations' with label ids) "
                "does not name its labels; export JSONL from a current doccano"
            )
        raise ValueError(f"{path}: {r.where}: holds no 'label' ('labels', 'entities' or 'cats') field")
    return frozenset(types)


def _content_types(path: Path, r: Record, key: str) -> frozenset[str]:
    """What a label list holds: categories (names), spans (triples or offset dicts), or either
    (an empty list)."""
    value = r.data[key]
    if not isinstance(value, list):
        raise ValueError(f"{path}: {r.where}: {key}: must be a list, got {value!r}")
    if not value:
        return frozenset({CATEGORIES, SPANS})
    if all(_label_like(v) for v in value):
        return frozenset({CATEGORIES})
    if all(isinstance(v, (list, dict)) for v in value):
        return frozenset({SPANS})
    raise ValueError(f"{path}: {r.where}: {key}: mixes label names and spans: {value!r}")


def _field(r: Record, record_type: str, field: str | None) -> str:
    """The field of line ``r`` that holds its labels of ``record_type``."""
    if field is not None:
        return field
    keys = ("label", "labels", "entities") if record_type == SPANS else ("label", "labels", "cats")
    return next(k for k in keys if k in r.data)


def _labels(path: Path, r: Record, key: str) -> list[Any]:
    value = r.data[key]
    if not isinstance(value, list):
        raise ValueError(f"{path}: {r.where}: {key}: must be a list of labels, got {value!r}")
    for k, label in enumerate(value):
        if not _label_like(label):
            raise ValueError(
                f"{path}: {r.where}: {key}[{k}]: a label must be text or a number, got {label!r}"
            )
    return list(dict.fromkeys(value))


def _span(
    path: Path, r: Record, key: str, k: int, span: Any, text: str, to_points: Callable[[int], int]
) -> dict[str, Any]:
    """Span ``k`` of line ``r`` as ``{start, end, label}`` in code points."""
    where = f"{path}: {r.where}: {key}[{k}]"
    if isinstance(span, dict):
        missing = [n for n in ("start_offset", "end_offset", "label") if n not in span]
        if missing:
            raise ValueError(f"{where}: has no {missing[0]!r}")
        start, end, label = span["start_offset"], span["end_offset"], span["label"]
    elif isinstance(span, list) and len(span) == 3:
        start, end, label = span
    else:
        raise ValueError(
            f"{where}: a span is [start, end, label] or {{start_offset, end_offset, label}}, got {span!r}"
        )
    if not (_int(start) and _int(end)):
        raise ValueError(f"{where}: offsets must be integers, got {start!r}, {end!r}")
    if not _label_like(label):
        raise ValueError(f"{where}: a label must be text or a number, got {label!r}")
    try:
        return {"start": to_points(start), "end": to_points(end), "label": label}
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


def _item_id(path: Path, r: Record, id_field: str) -> Any:
    if id_field not in r.data:
        raise ValueError(
            f"{path}: {r.where}: has no {id_field!r} to identify the example (doccano's exports carry "
            "'id'); pass id_field= naming the field that does"
        )
    value = r.data[id_field]
    if isinstance(value, bool) or not isinstance(value, (int, str, float)):
        raise ValueError(f"{path}: {r.where}: {id_field}: an item id must be text or a number, got {value!r}")
    return value


def _label_like(value: Any) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool)


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# ------------------------------------------------------------------------------------ offsets
def _reader(text: str, offsets: str) -> Callable[[int], int]:
    """A file's offset in ``text`` → its code-point offset (``ValueError`` when it is outside
    the text or inside a character)."""
    if offsets == "utf-16":
        table = Offsets(text)
        return table.from_utf16
    if offsets == "graphemes":
        bounds = _grapheme_bounds(text)

        def from_graphemes(g: int) -> int:
            if not 0 <= g < len(bounds):
                raise ValueError(f"offset {g} is outside the text (0..{len(bounds) - 1} grapheme clusters)")
            return bounds[g]

        return from_graphemes

    def from_points(p: int) -> int:
        if not 0 <= p <= len(text):
            raise ValueError(f"offset {p} is outside the text (0..{len(text)})")
        return p

    return from_points


def _writer(text: str, offsets: str) -> Callable[[int], int]:
    """A code-point offset in ``text`` → the file's offset."""
    if offsets == "utf-16":
        return Offsets(text).to_utf16
    if offsets == "graphemes":
        index = {b: g for g, b in enumerate(_grapheme_bounds(text))}

        def to_graphemes(p: int) -> int:
            if p not in index:
                raise ValueError(
                    f"offset {p} falls inside a grapheme cluster, which offsets='graphemes' cannot say"
                )
            return index[p]

        return to_graphemes
    return lambda p: p


def _grapheme_bounds(text: str) -> list[int]:
    """The code-point offset where each grapheme cluster starts, and the text's length."""
    return [m.start() for m in _GRAPHEME.finditer(text)] + [len(text)]


# ------------------------------------------------------------------------------------ writing
def _write_files(path: Path, files: dict[str, list[str]], per_annotator: bool) -> Path:
    """Write ``files`` (file name → lines) as a zip, one ``.jsonl`` file or a folder."""
    if not files:
        raise ValueError("the task has no labels to write")
    content = {name: "".join(f"{line}\n" for line in lines) for name, lines in files.items()}
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        if len(content) > 1:
            raise ValueError(
                f"{path}: the task has {len(content)} annotators, one file each: write a .zip (as doccano "
                "exports) or a folder"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(next(iter(content.values())), encoding="utf-8")
        return path
    if suffix == ".zip":
        path.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, text in content.items():
                archive.writestr(name, text.encode("utf-8"))
        return path
    folded: dict[str, str] = {}
    for name in content:
        other = folded.setdefault(name.casefold(), name)
        if other != name:
            raise ValueError(
                f"{path}: annotators' files {other!r} and {name!r} differ only in case, which some file "
                "systems do not tell apart: write a .zip"
            )
    path.mkdir(parents=True, exist_ok=True)
    for name, text in content.items():
        (path / name).write_text(text, encoding="utf-8")
    return path


DOCCANO = DoccanoFormat()
