"""Label Studio's JSON export, read and written: ``format="label-studio"``.

A file is a list of tasks: ``id``, ``data`` (what the item showed), ``annotations`` (each with
``completed_by`` — a user id or ``{id, email, ...}`` —, ``result``, ``was_cancelled``,
``lead_time`` in seconds, ``created_at``) and ``predictions`` (model results). One control of
the project (``from_name``) becomes one nblabel task; the kind is the one whose codec reads the
control's result type (:mod:`.label_studio_codecs`). Each annotation is one event of its
annotator: a label, or a skip when it was cancelled; ``lead_time`` is the active time; the
task's prediction (the last one, or ``model_version=``) is every event's suggestion.

Writing makes one Label Studio task per item with every annotator's current annotation (or the
values given, as ground-truth annotations), the suggestions as predictions, and the labeling
config beside the JSON (``<name>.label_config.xml``) to create the project with.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ..core import ids
from ..core.registry import ItemContext
from .base import ImportedTask, codecs, events_frame, items_by_id, read_json, task_rows
from .label_studio_codecs import (
    NOTHING,
    ChoicesCodec,
    FieldError,
    Fields,
    LabelsCodec,
    PairwiseCodec,
    RectanglesCodec,
)

__all__ = [
    "LABEL_STUDIO",
    "ChoicesCodec",
    "LabelStudioFormat",
    "LabelsCodec",
    "PairwiseCodec",
    "RectanglesCodec",
    "config_path",
]

FORMAT = "label-studio"
#: Options of :meth:`LabelStudioFormat.read` that say which data field is what.
FIELD_OPTIONS = ("id_field", "text_field", "image_field", "a_field", "b_field", "prompt_field")


def config_path(path: Path) -> Path:
    """Where the labeling config of the export ``path`` is written: ``<stem>.label_config.xml``
    beside it (as label-studio-converter names the configs it writes)."""
    return path.with_name(f"{path.stem}.label_config.xml")


class LabelStudioFormat:
    """Label Studio's JSON export (``store.import_file(path, format="label-studio", task=...)``,
    ``store.export(task, path, format="label-studio")``)."""

    name = FORMAT
    description = "Label Studio JSON export: tasks with data, annotations and predictions"

    # ------------------------------------------------------------------ reading
    def read(
        self,
        path: Path,
        *,
        from_name: str | None = None,
        id_field: str | None = None,
        annotators: Mapping[Any, str] | None = None,
        annotator: str | None = None,
        model_version: str | None = None,
        multi: bool | None = None,
        overlap: bool | None = None,
        text_field: str | None = None,
        image_field: str | None = None,
        a_field: str | None = None,
        b_field: str | None = None,
        prompt_field: str | None = None,
    ) -> ImportedTask:
        """The control ``from_name`` of the export at ``path`` as an :class:`ImportedTask`.

        - ``from_name``: the control to import (needed when the project has several).
        - ``id_field``: the ``data`` field holding the item id (default: the task's ``id``).
        - ``annotators``: names for Label Studio users (``{10: "ana", "bob@x.org": "bob"}``);
          else a user is named by their email, or their id; ``annotator``: the name of
          annotations without ``completed_by``.
        - ``model_version``: the prediction used as the suggestion (default: the last one).
        - ``multi`` (choices), ``overlap`` (labels): the task's setting (default: whether the
          file has several choices in one annotation, overlapping spans).
        - ``text_field``, ``image_field``, ``a_field``, ``b_field``, ``prompt_field``: the data
          fields items show (default: the field the results point at, or the only text field;
          for pairs the first two text fields and a field named ``prompt``).
        """
        tasks = _tasks(path)
        options = {"multi": multi, "overlap": overlap}
        fields = Fields(
            {
                k: v
                for k, v in zip(
                    FIELD_OPTIONS,
                    (id_field, text_field, image_field, a_field, b_field, prompt_field),
                    strict=True,
                )
                if v is not None
            }
        )
        name, kind, codec, companions = _control(path, tasks, from_name)
        reader = _Reader(path, codec, name, companions, fields, annotators or {}, annotator, model_version)
        for position, task in enumerate(tasks, 1):
            reader.task(position, task)
        return reader.imported(kind, options)

    # ------------------------------------------------------------------ writing
    def write(
        self,
        store: Any,
        task: str,
        path: Path,
        *,
        values: pd.DataFrame | None = None,
        from_name: str = "label",
        annotator: str = "final",
    ) -> Path:
        """Write ``task`` as a Label Studio JSON export at ``path`` (one task per item, each
        annotator's current annotation; ``values``: one ground-truth annotation per item by
        ``annotator``) and its labeling config at :func:`config_path`. The item id is the task's
        ``id`` when it is an integer, and ``data.item_id`` always (import with
        ``id_field="item_id"`` to keep text ids)."""
        written = task_rows(store, task, values)
        info, kind = written.info, written.kind
        codec = kind.exchange_codec(FORMAT)
        if codec is None:
            raise ValueError(
                f"task {task!r} is a {info.kind} task ({kind.description}): Label Studio "
                "export writes classify, spans, boxes and compare tasks"
            )
        config = dict(info.config or {})
        rows = _rows(store, task, written.rows, values is not None, annotator)
        items = items_by_id(written.items)
        if values is not None:
            rows = _checked(kind, info, rows, items)
        order = list(items) + [i for i in dict.fromkeys(rows["item_id"]) if i not in items]
        by_item = (
            {item_id: group for item_id, group in rows.groupby("item_id", sort=False)} if len(rows) else {}
        )
        users = {name: n for n, name in enumerate(dict.fromkeys(rows["annotator"]), 1)}
        # Label Studio numbers its tasks: integer item ids are kept, other ids are numbered in order
        numbered = all(isinstance(i, int) and not isinstance(i, bool) for i in order)
        out, annotation_id = [], 0
        for position, item_id in enumerate(order, 1):
            shown = items.get(item_id, {})
            ls_id = item_id if numbered else position
            data = {**codec.data(shown, config), "item_id": _json_id(item_id)}
            annotations, suggestion = [], None
            group = by_item.get(item_id)
            for row in [] if group is None else group.itertuples(index=False):
                annotation_id += 1
                skip = row.kind == "skip"
                key = (item_id, row.annotator)
                result = [] if skip else codec.encode(row.value, shown, config, from_name, key)
                annotation = _annotation(annotation_id, ls_id, row, users[row.annotator], result, skip)
                annotation["ground_truth"] = values is not None
                annotations.append(annotation)
                if suggestion is None and _present(row.suggestion):
                    suggestion = row.suggestion
            task_json: dict[str, Any] = {"id": ls_id, "data": data, "annotations": annotations}
            if suggestion is not None:
                result = codec.encode(suggestion, shown, config, from_name, (item_id, "prediction"))
                for region in result:
                    region["origin"] = "prediction"
                task_json["predictions"] = [{"model_version": "nblabel", "result": result}]
            out.append(task_json)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as f:
            json.dump(out, f, ensure_ascii=False, indent=1, default=_json_default)
        labels = info.labels
        config_path(path).write_text(
            codec.label_config(labels, config, from_name, list(items.values())), "utf-8"
        )
        return path


# ---------------------------------------------------------------------- reading
def _tasks(path: Path) -> list[dict[str, Any]]:
    """The tasks of the export at ``path``; ``ValueError`` when it is not a task list."""
    doc = read_json(path)
    if isinstance(doc, dict) and "data" in doc:
        doc = [doc]
    if not isinstance(doc, list):
        raise ValueError(
            f"{path}: not a Label Studio JSON export (a list of tasks), got a {type(doc).__name__}"
        )
    for position, task in enumerate(doc, 1):
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            raise ValueError(
                f"{path}: task {position}: not a Label Studio task (an object with 'data'); "
                "export the project as JSON (not JSON-MIN or CSV)"
            )
    return doc


def _annotations(task: Mapping[str, Any]) -> list[Any]:
    annotations = task.get("annotations", task.get("completions")) or []
    return annotations if isinstance(annotations, list) else []


def _results(path: Path, where: str, annotation: Any) -> list[Mapping[str, Any]]:
    if not isinstance(annotation, dict):
        raise ValueError(f"{path}: {where}: not an object")
    results = annotation.get("result") or []
    if not isinstance(results, list):
        raise ValueError(f"{path}: {where}: result: expected a list, got {type(results).__name__}")
    for i, result in enumerate(results):
        if not isinstance(result, dict):
            raise ValueError(f"{path}: {where}: result[{i}]: not an object")
    return results


def _control(
    path: Path, tasks: Sequence[Mapping[str, Any]], from_name: str | None
) -> tuple[str, str, Any, set[str]]:
    """The control to import, the kind reading it, its codec and its companion controls."""
    types: dict[str, str] = {}
    for t, task in enumerate(tasks, 1):
        for kind, records in (
            ("annotation", _annotations(task)),
            ("prediction", task.get("predictions") or []),
        ):
            for a, record in enumerate(records if isinstance(records, list) else [], 1):
                for i, result in enumerate(_results(path, f"{_where(t, task)}, {kind} {a}", record)):
                    name, rtype = result.get("from_name"), result.get("type")
                    if not isinstance(name, str) or not isinstance(rtype, str):
                        raise ValueError(
                            f"{path}: {_where(t, task)}, {kind} {a}: result[{i}]: needs "
                            "'from_name' and 'type'"
                        )
                    types.setdefault(name, rtype)
    readers = codecs(FORMAT)

    def reader(rtype: str) -> tuple[str, Any] | None:
        found = [(k, c) for k, c in readers if c.reads(rtype)]
        return found[0] if found else None

    if from_name is not None:
        if from_name not in types:
            raise ValueError(f"{path}: no results of control {from_name!r}; controls: {_said(types)}")
        found = reader(types[from_name])
        if found is None:
            raise ValueError(
                f"{path}: control {from_name!r} holds {types[from_name]!r} results, which nblabel "
                f"does not read (it reads {_readable(readers)})"
            )
        return from_name, found[0], found[1], found[1].companions(from_name, types)
    candidates = {name: reader(rtype) for name, rtype in types.items() if reader(rtype) is not None}
    for name, (_, codec) in list(candidates.items()):
        for companion in codec.companions(name, types):
            candidates.pop(companion, None)
    if not candidates:
        seen = f"; controls: {_said(types)}" if types else " (no task has a result)"
        raise ValueError(f"{path}: nothing nblabel reads: it reads {_readable(readers)}{seen}")
    if len(candidates) > 1:
        raise ValueError(
            f"{path}: several controls ({_said({n: types[n] for n in candidates})}): "
            "pass from_name= to import one of them"
        )
    name, (kind, codec) = next(iter(candidates.items()))
    return name, kind, codec, codec.companions(name, types)


def _said(types: Mapping[str, str]) -> str:
    return ", ".join(f"{name!r} ({rtype})" for name, rtype in types.items())


def _readable(readers: Sequence[tuple[str, Any]]) -> str:
    return ", ".join(f"{'/'.join(c.result_types)} ({k})" for k, c in readers)


def _where(position: int, task: Mapping[str, Any]) -> str:
    task_id = task.get("id")
    return f"task {position}" + (f" (id {task_id!r})" if task_id is not None else "")


class _Reader:
    """Reads tasks one by one into event rows and items."""

    def __init__(
        self,
        path: Path,
        codec: Any,
        name: str,
        companions: set[str],
        fields: Fields,
        annotators: Mapping[Any, str],
        annotator: str | None,
        model_version: str | None,
    ) -> None:
        self.path, self.codec, self.name, self.companions, self.fields = path, codec, name, companions, fields
        self.annotators = {str(k): str(v) for k, v in annotators.items()}
        self.annotator, self.model_version = annotator, model_version
        self.rows: list[dict[str, Any]] = []
        self.items: dict[Any, dict[str, Any]] = {}

    def fail(self, where: str, exc: Exception) -> ValueError:
        return ValueError(f"{self.path}: {where}: {exc}")

    def task(self, position: int, task: Mapping[str, Any]) -> None:
        where = _where(position, task)
        data = task["data"]
        item_id = self.item_id(where, task)
        annotations = _annotations(task)
        records = [(f"annotation {a}", ann) for a, ann in enumerate(annotations, 1)]
        # every record's results were checked by _control: read them as they are
        own_all = [
            r for _, ann in records for r in ann.get("result") or () if r.get("from_name") == self.name
        ]
        prediction, p_where = self.prediction(task)
        if prediction is not None:
            own_all += [r for r in prediction.get("result") or () if r.get("from_name") == self.name]
        targets = list(dict.fromkeys(str(r.get("to_name")) for r in own_all if r.get("to_name")))
        try:
            shown = self.codec.item(data, targets, self.fields, own_all)
        except FieldError as exc:
            raise self.fail(where, exc) from None
        self.items.setdefault(item_id, shown)
        suggestion = NOTHING
        if prediction is not None:
            suggestion = self.decode(f"{where}, {p_where}", prediction, shown)
        for label, ann in records:
            source = f"{where}, {label}"
            cancelled = bool(ann.get("was_cancelled") or ann.get("skipped"))
            value = None if cancelled else self.decode(source, ann, shown)
            swapped = ann.get("nblabel_swapped")
            row = {
                "item_id": item_id,
                "annotator": self.who(source, ann),
                "kind": "skip" if cancelled else "label",
                "value": value,
                "created_at": _time(self.path, source, ann.get("created_at")),
                "active_ms": _active_ms(self.path, source, ann.get("lead_time")),
                "suggestion": suggestion,
                "source": source,
            }
            if swapped is not None:
                row["swapped"] = bool(swapped)
            self.rows.append(row)

    def item_id(self, where: str, task: Mapping[str, Any]) -> Any:
        id_field = self.fields.options.get("id_field")
        if id_field is not None:
            if id_field not in task["data"]:
                raise ValueError(
                    f"{self.path}: {where}: data.{id_field}: no such field (id_field={id_field!r}); "
                    f"fields: {list(task['data'])}"
                )
            item_id = task["data"][id_field]
        else:
            item_id = task.get("id")
            if item_id is None:
                raise ValueError(
                    f"{self.path}: {where}: id: the task has no id; pass id_field= naming the "
                    "data field that identifies the item"
                )
        if not isinstance(item_id, (str, int)) or isinstance(item_id, bool):
            raise ValueError(f"{self.path}: {where}: item id {item_id!r} is not text or an integer")
        return item_id

    def prediction(self, task: Mapping[str, Any]) -> tuple[Any, str]:
        predictions = task.get("predictions") or []
        if not isinstance(predictions, list) or not predictions:
            return None, ""
        if self.model_version is not None:
            for p, prediction in enumerate(predictions, 1):
                if isinstance(prediction, Mapping) and prediction.get("model_version") == self.model_version:
                    return prediction, f"prediction {p}"
            return None, ""
        return predictions[-1], f"prediction {len(predictions)}"

    def decode(self, source: str, record: Mapping[str, Any], shown: Mapping[str, Any]) -> Any:
        results = record.get("result") or ()
        own = [(i, r) for i, r in enumerate(results) if r.get("from_name") == self.name]
        companions = [(i, r) for i, r in enumerate(results) if r.get("from_name") in self.companions]
        try:
            return self.codec.decode(own, companions, shown)
        except FieldError as exc:
            raise self.fail(source, exc) from None

    def who(self, source: str, annotation: Mapping[str, Any]) -> str:
        user = annotation.get("completed_by")
        if isinstance(user, dict):
            keys = [user.get("email"), user.get("id")]
        elif user is None or isinstance(user, bool):
            keys = []
        else:
            keys = [user]
        for key in keys:
            if key is not None and str(key) in self.annotators:
                return self.annotators[str(key)]
        for key in keys:
            if key not in (None, ""):
                return str(key)
        if self.annotator is not None:
            return self.annotator
        raise ValueError(
            f"{self.path}: {source}: completed_by: the annotation names no annotator; pass "
            "annotator= to name them"
        )

    def imported(self, kind: str, options: Mapping[str, Any]) -> ImportedTask:
        codec = self.codec
        contents = list(self.items.values())
        decoded = [r["value"] for r in self.rows if r["kind"] == "label" and r["value"] is not NOTHING]
        decoded += [r["suggestion"] for r in self.rows if r["suggestion"] is not NOTHING]
        config = codec.task_config(decoded, contents, options)
        rows = []
        for row in self.rows:
            if row["kind"] == "label":
                row["value"] = codec.finish(row["value"], config)
                if row["value"] is NOTHING:
                    continue
            suggestion = row["suggestion"]
            row["suggestion"] = None if suggestion is NOTHING else codec.finish(suggestion, config)
            if row["suggestion"] is NOTHING:
                row["suggestion"] = None
            rows.append(row)
        values = [r["value"] for r in rows if r["kind"] == "label"] + [
            r["suggestion"] for r in rows if r["suggestion"] is not None
        ]
        items = pd.DataFrame.from_dict(
            {k: {f: v for f, v in c.items() if not f.startswith("_")} for k, c in self.items.items()},
            orient="index",
        )
        items.index.name = "item_id"
        return ImportedTask(kind, codec.task_labels(values), config, events_frame(rows), items)


def _time(path: Path, source: str, value: Any) -> str | None:
    """An annotation's ``created_at`` as ISO 8601 text: as Label Studio writes it, or from the
    seconds since the epoch that its older "completions" exports wrote."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, tz=UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"{path}: {source}: created_at: {value!r} is not a time") from None
    if not isinstance(value, str):
        raise ValueError(f"{path}: {source}: created_at: expected an ISO 8601 time, got {value!r}")
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{path}: {source}: created_at: {value!r} is not an ISO 8601 time") from None
    return value


def _active_ms(path: Path, source: str, lead_time: Any) -> int | None:
    if lead_time is None:
        return None
    if not isinstance(lead_time, (int, float)) or isinstance(lead_time, bool) or not lead_time >= 0:
        raise ValueError(f"{path}: {source}: lead_time: expected seconds (a number ≥ 0), got {lead_time!r}")
    if lead_time > 2**31 / 1000:
        raise ValueError(f"{path}: {source}: lead_time: {lead_time!r} seconds is out of range")
    return round(lead_time * 1000)


# ---------------------------------------------------------------------- writing
def _rows(store: Any, task: str, rows: pd.DataFrame, given: bool, annotator: str) -> pd.DataFrame:
    """One row per annotation to write: each annotator's standing label or skip (with its time,
    active time and suggestion), or the given values by ``annotator``."""
    if not given:
        current = store.current(task)
        return current[current["kind"].isin(["label", "skip"])].reset_index(drop=True)
    rows = rows.copy()
    if "annotator" not in rows.columns:
        rows["annotator"] = annotator
    for column, default in (
        ("kind", "label"),
        ("created_at", pd.NaT),
        ("active_ms", None),
        ("suggestion", None),
    ):
        if column not in rows.columns:
            rows[column] = default
    rows["annotator"] = rows["annotator"].astype(str)
    return rows


def _checked(
    kind: Any, info: Any, rows: pd.DataFrame, items: Mapping[Any, Mapping[str, Any]]
) -> pd.DataFrame:
    """Given values checked for their items as gold answers (``ValueError`` naming the item)."""
    checked = []
    for item_id, value in zip(rows["item_id"], rows["value"], strict=True):
        shown = items.get(item_id, {})
        width, height = shown.get("width"), shown.get("height")
        context = ItemContext(
            f"values= item {item_id!r}",
            labels=info.labels,
            config=info.config or {},
            text=shown.get("text") if isinstance(shown.get("text"), str) else None,
            size=None if width is None or height is None else (int(width), int(height)),
        )
        try:
            checked.append(kind.check_gold(value, context))
        except (ValueError, TypeError) as exc:
            message = str(exc)
            raise type(exc)(
                message if message.startswith(context.where) else f"{context.where}: {message}"
            ) from None
    return rows.assign(value=pd.Series(checked, index=rows.index, dtype=object))


def _annotation(n: int, task_id: Any, row: Any, user: int, result: list[Any], skip: bool) -> dict[str, Any]:
    created = _iso(getattr(row, "created_at", None))
    active = getattr(row, "active_ms", None)
    annotation = {
        "id": n,
        "completed_by": {"id": user, "email": row.annotator, "first_name": "", "last_name": ""},
        "result": result,
        "was_cancelled": skip,
        "ground_truth": False,
        "created_at": created,
        "updated_at": created,
        "lead_time": None if not _present(active) else int(active) / 1000,
        "task": task_id,
    }
    value = getattr(row, "value", None)
    if isinstance(value, Mapping) and value.get("swapped"):
        annotation["nblabel_swapped"] = True
    return annotation


def _json_id(item_id: Any) -> Any:
    """An item id as JSON holds it: text and numbers as they are, others as their stored key."""
    if isinstance(item_id, (str, int, float)):
        return item_id.item() if hasattr(item_id, "item") else item_id
    return ids.encode(item_id)[0]


def _iso(value: Any) -> str | None:
    if not _present(value):
        return None
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _present(value: Any) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return False
    return not (isinstance(value, float) and value != value)


def _json_default(value: Any) -> Any:
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    raise TypeError(f"{type(value).__name__} is not JSON")


#: The format, registered by :mod:`nblabel.exchange`.
LABEL_STUDIO = LabelStudioFormat()
