"""Reopening a session from the store alone: ``nl.Session.open(store, task)``.

When a :class:`~nblabel.sessions.session.Session` is created, :func:`save_setup` writes what a
process needs to rebuild it without the DataFrame — the widget class by name, its options, and
the columns its widget shows for each item (production rows, then the gold pool) — to
``nbl_session_setup`` / ``nbl_session_items`` (:mod:`nblabel.store.session_data`), once. Gold
answers and explanations are never written there (the session's frame has none: see
``_split_gold``), so an annotator's role may read these tables.

:func:`open_session` reads them back and calls the ``Session`` constructor with the same data and
settings, so the plan is the one the store holds (the constructor compares it). What cannot be
stored as JSON — a callable option (a tokenizer, ``suggest=``), a cell of a type JSON does not
carry — is named in the setup, and ``Session.open`` asks for it by name.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core import ids, widget_classes
from ..core.frames import is_missing
from ..core.media import ImageError, image_payload
from ..store.session_gold import GOLD_KEYS
from ..store.store import Store, open_store
from .access import HIDDEN_GOLD

__all__ = ["open_session", "save_setup", "decode_items", "encode_cell"]

#: Options whose column holds images: a relative path there is kept relative to the directory of
#: the process that created the session, and found there by a process started elsewhere.
IMAGE_OPTIONS = ("image",)
#: Session settings stored in the plan (``nbl_sessions.config``) that the constructor takes back.
_PLAN = ("annotators", "overlap", "escalate", "escalate_method", "repeat_rate", "gold_rate",
         "gold_threshold", "calibration", "pass_mark", "feedback", "seed")  # fmt: skip


# ---------------------------------------------------------------------- writing
def save_setup(session: Any) -> None:
    """Store what reopens ``session`` (its widget, options, item columns), unless already stored.
    Only a read when another process stored it first (an annotator's role cannot write here)."""
    store, task = session.store, session.task
    if store.has_session_setup(task):
        return
    frame = session.frame
    options, unstored_options = _json_options(session.widget_options)
    columns = _stored_columns(frame, session.widget_options, unstored_options)
    kinds = [ids.encode(v)[1] for v in frame.index] if len(frame) else []
    items: list[tuple[str, str, dict[str, Any]]] = []
    unstored_cells: dict[str, str] = {}
    for pos, (key, kind) in enumerate(zip(session.keys, kinds, strict=True)):
        values: dict[str, Any] = {}
        blobs: dict[str, str] = {}
        for column in columns:
            if column in unstored_cells:
                continue
            try:
                tag, encoded = encode_cell(frame[column].iat[pos])
            except (TypeError, ValueError, ImageError) as exc:
                unstored_cells[column] = f"row {frame.index[pos]!r}: {exc}"
                continue
            (blobs if tag == "b" else values)[column] = encoded
        items.append((key, kind, {"v": values, "b": blobs} if blobs else {"v": values}))
    setup = {
        "module": session.widget.__module__,
        "options": options,
        "unstored_options": unstored_options,
        "columns": columns,
        "unstored_columns": unstored_cells,
        "index_name": frame.index.name if isinstance(frame.index.name, str) else None,
        "n_production": session.n_production,
        "cwd": os.getcwd(),
    }
    store.save_session_setup(task, session.widget.__name__, setup, items)


def encode_cell(value: Any) -> tuple[str, Any]:
    """One cell as ``("v", json_value)`` or ``("b", base64 text)`` (bytes, images); ``TypeError``
    for a value JSON cannot carry."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "b", base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, np.ndarray) and value.ndim >= 2:  # an image array
        return "b", base64.b64encode(image_payload(value)[0]).decode("ascii")
    if type(value).__module__.startswith("PIL."):
        return "b", base64.b64encode(image_payload(value)[0]).decode("ascii")
    if is_missing(value):
        return "v", None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if isinstance(value, pd.Timestamp):
        value = value.isoformat()
    text = json.dumps(value, ensure_ascii=False, allow_nan=True)
    return "v", json.loads(text)


def _json_options(options: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The widget options JSON keeps as they are, and the names of the others."""
    kept: dict[str, Any] = {}
    unstored: list[str] = []
    for name, value in options.items():
        try:
            text = json.dumps(value, ensure_ascii=False, allow_nan=True)
        except (TypeError, ValueError):
            unstored.append(name)
            continue
        if json.loads(text) != value and not isinstance(value, tuple):
            unstored.append(name)  # a value JSON changes (a set, a float NaN, ...)
            continue
        kept[name] = json.loads(text)
    return kept, unstored


def _stored_columns(frame: pd.DataFrame, options: dict[str, Any], unstored_options: list[str]) -> list[str]:
    """The columns the widget options name; every column when an option is a callable (it may
    read any of them)."""
    if unstored_options:
        return [str(c) for c in frame.columns]
    named: list[str] = []
    for value in options.values():
        candidates = value if isinstance(value, (list, tuple)) else [value]
        for v in candidates:
            if isinstance(v, str) and v in frame.columns and v not in named:
                named.append(v)
    return [c for c in frame.columns if c in named]


# ---------------------------------------------------------------------- reading
def decode_items(setup: Any, base: str | None = None) -> pd.DataFrame:
    """The session's frame (production rows, then the gold pool) from a stored setup: ids in
    their original dtype, bytes back as bytes, relative image paths found from ``base`` (the
    creating process's directory) when they do not exist from here."""
    columns: list[str] = setup.setup["columns"]
    labels = [ids.decode(key, kind) for key, kind, _ in setup.items]
    data: dict[str, list[Any]] = {c: [] for c in columns}
    for _key, _kind, cell in setup.items:
        values, blobs = cell.get("v", {}), cell.get("b", {})
        for c in columns:
            if c in blobs:
                data[c].append(base64.b64decode(blobs[c]))
            else:
                data[c].append(values.get(c))
    index = pd.Index(labels, name=setup.setup.get("index_name"), tupleize_cols=False)
    if labels and all(isinstance(v, tuple) for v in labels):
        index = pd.MultiIndex.from_tuples(labels)
    frame = pd.DataFrame({c: pd.Series(v, dtype=_dtype(v)) for c, v in data.items()})
    frame.index = index
    image_columns = [setup.setup["options"].get(o) for o in IMAGE_OPTIONS]
    for column in image_columns:
        if isinstance(column, str) and column in frame.columns and base:
            frame[column] = [_rebase(v, base) for v in frame[column]]
    return frame


def _dtype(values: list[Any]) -> Any:
    """``int64``/``float64``/``bool`` for columns JSON gave back as such, else ``object``."""
    present = [v for v in values if v is not None]
    if present and len(present) == len(values) and all(type(v) is int for v in present):
        return "int64"
    if present and all(type(v) in (int, float) for v in present):
        return "float64"
    if present and len(present) == len(values) and all(type(v) is bool for v in present):
        return "bool"
    return object


def _rebase(value: Any, base: str) -> Any:
    """A relative path that does not exist here but does under ``base``, joined to it."""
    if not isinstance(value, str) or "://" in value or not value:
        return value
    path = Path(value).expanduser()
    if path.is_absolute() or path.exists():
        return value
    candidate = Path(base) / path
    return str(candidate) if candidate.exists() else value


def open_session(
    cls: type[Any], store: Store | str | os.PathLike[str] | None, task: str, **given: Any
) -> Any:
    """See :meth:`nblabel.Session.open`."""
    opened, owns = open_store(store)
    try:
        arguments = _arguments(opened, task, given)
    finally:
        if owns:  # a store opened here from a URL or path: the session opens (and owns) its own
            opened.close()
    return cls(store if owns else opened, task, **arguments)


def _arguments(store: Store, task: str, given: dict[str, Any]) -> dict[str, Any]:
    """The constructor's arguments (after ``store`` and ``task``) of the session stored as ``task``."""
    config = store.session_config(task)
    if config is None:
        raise KeyError(f"task {task!r} in {store.location} is not a session (it was not made by nl.Session)")
    setup = store.session_setup(task)
    if setup is None:
        raise ValueError(
            f"session {task!r} in {store.location} was created before nblabel stored sessions' items: "
            "create it once more with nl.Session(..., data=df) and the same settings (nothing already "
            "labeled changes), then nl.Session.open works"
        )
    widget = given.pop("widget", None) or widget_classes.get(setup.widget)
    missing = [name for name in setup.setup.get("unstored_options", []) if name not in given]
    if missing:
        raise TypeError(
            f"session {task!r} was created with option(s) {missing} the store cannot keep (a callable or "
            f"another object): pass {', '.join(f'{m}=' for m in missing)} to nl.Session.open"
        )
    data = given.pop("data", None)
    if data is None:
        broken = setup.setup.get("unstored_columns", {})
        if broken:
            column, where = next(iter(broken.items()))
            raise ValueError(
                f"session {task!r}: column {column!r} holds a value the store cannot keep ({where}); "
                "pass data= (the session's DataFrame) to nl.Session.open"
            )
        data = decode_items(setup, setup.setup.get("cwd"))
    n = int(setup.setup.get("n_production", config.get("items", len(data))))
    production, pool = data.iloc[:n], data.iloc[n:]
    gold_values = dict(_gold_answers(store, task, config))
    gold: pd.DataFrame | None = None
    if len(pool):
        keys = ids.encode_many(pool.index)
        absent = [k for k in keys if k not in gold_values]
        if absent:
            raise ValueError(
                f"session {task!r}: the gold answer of item {absent[0]!r} is not readable with this store "
                f"URL ({store.location})"
            )
        gold = pool.assign(gold=[gold_values[k] for k in keys])
    settings = {k: config[k] for k in _PLAN if k in config}
    if config.get("escalate") is not None:
        settings["max_overlap"] = config.get("max_overlap")
    options = {**setup.setup.get("options", {}), **given}
    return {"widget": widget, "data": production, "gold": gold, **settings, **options}


def _gold_answers(store: Store, task: str, config: dict[str, Any]) -> list[tuple[str, Any]]:
    """The session's gold answers ``(key, stored value)`` as the store lets this URL read them: an
    annotator's login reads the keys only (each answer stands as ``HIDDEN_GOLD``; the labeler asks
    the store for it once answered, see :mod:`nblabel.sessions.access`)."""
    if "gold" not in config:
        return [(str(k), HIDDEN_GOLD) for k in config.get(GOLD_KEYS, [])]
    return [(str(k), v) for k, v in config.get("gold", [])]
