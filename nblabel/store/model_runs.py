"""A model's outputs as the events of a model annotator (``model:<name>``, see
:mod:`nblabel.core.models`): one implementation for the widgets' background suggestions
(``suggest=``) and for :func:`record_model` (an LLM judge's verdicts over a whole DataFrame).

A model is a column of the DataFrame or a callable ``fn(batch: DataFrame) -> sequence`` of
values in the task kind's value format, or of ``(value, score)`` tuples. Each output is checked
by the task kind's ``check_value``; a bad one is named (row and value) and left out. Outputs are
written as ``label`` events whose ``suggestion`` column is ``{"model", "version", "score"}``
(and ``"other_order"`` for a kind whose values have a position, such as a comparison), under a
client id hashed from (task, model, version, item): writing them again writes nothing, and a
widget or kernel that finds them stored reuses them instead of calling the model again.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..core import ids, registry
from ..core.event import Event
from ..core.frames import is_missing
from ..core.limits import check_key
from ..core.models import model_annotator

__all__ = [
    "DEFAULT_BATCH",
    "ModelBatch",
    "ModelSource",
    "callable_version",
    "model_events",
    "model_source",
    "record_model",
    "run_batch",
    "stored_outputs",
]

#: Rows per call of a model (``suggest_batch=``, ``batch_size=``).
DEFAULT_BATCH = 32


@dataclass(frozen=True)
class ModelSource:
    """A model: a callable (``fn``) or a DataFrame column (``column``), with the ``name`` and
    ``version`` its events are stored under."""

    name: str
    version: str
    fn: Callable[[pd.DataFrame], Any] | None = None
    column: str | None = None

    @property
    def annotator(self) -> str:
        """The model's annotator name, ``model:<name>``."""
        return model_annotator(self.name)

    def describe(self) -> str:
        """How messages name the model."""
        return f"column {self.column!r}" if self.column is not None else f"suggest callable {self.name!r}"


def callable_version(fn: Callable[..., Any]) -> str:
    """A stable version of a callable: a digest of its qualified name and code (bytecode,
    names and constants, nested functions included), the same in every kernel as long as the
    code is the same."""
    target = fn
    code = getattr(target, "__code__", None)
    if code is None:  # a callable object: its class's __call__
        call = type(fn).__dict__.get("__call__")
        code = getattr(call, "__code__", None)
        target = type(fn)
    digest = hashlib.sha256()
    digest.update(f"{getattr(target, '__module__', '')}.{getattr(target, '__qualname__', '')}".encode())
    if code is not None:
        _digest_code(code, digest)
    return digest.hexdigest()[:12]


def _digest_code(code: Any, digest: Any) -> None:
    digest.update(code.co_code)
    digest.update(repr(code.co_names).encode())
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            _digest_code(const, digest)
        else:
            digest.update(repr(const).encode("utf-8", "surrogatepass"))


def model_source(
    suggest: str | Callable[[pd.DataFrame], Any],
    name: str | None = None,
    version: str | None = None,
    *,
    what: str = "suggest=",
    name_option: str = "suggest_name=",
) -> ModelSource:
    """The :class:`ModelSource` of a column name or a callable; ``name`` defaults to the
    callable's ``__name__`` (the column's name), ``version`` to :func:`callable_version`
    (``"column"``)."""
    if isinstance(suggest, str):
        column, fn = suggest, None
        default_name, default_version = suggest, "column"
    elif callable(suggest):
        column, fn = None, suggest
        default_name = getattr(suggest, "__name__", None) or type(suggest).__name__
        default_version = None
    else:
        raise TypeError(
            f"{what} takes a column name or a callable fn(batch: DataFrame) -> values, "
            f"got {type(suggest).__name__}"
        )
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise ValueError(f"the model's name must be a non-blank string, got {name!r}")
    if version is not None and (not isinstance(version, str) or not version.strip()):
        raise ValueError(f"the model's version must be a non-blank string, got {version!r}")
    if name is None and default_name == "<lambda>":
        raise ValueError(f"{what} a lambda has no name: give {name_option} (its events are model:<name>)")
    name = name or default_name
    if name.startswith("model:"):
        name = name[len("model:"):]
    check_key(model_annotator(name), "model name")
    if version is None:
        version = default_version if fn is None else callable_version(fn)
    check_key(version, "model version")
    return ModelSource(name=name, version=version, fn=fn, column=column)


@dataclass
class ModelBatch:
    """What one call of a model gave: checked values and scores by position in the batch,
    and a message per refused output."""

    values: dict[int, Any] = field(default_factory=dict)
    scores: dict[int, float | None] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _split(output: Any) -> tuple[Any, float | None]:
    """``(value, score)`` from a ``(value, score)`` tuple, else ``(output, None)``."""
    if isinstance(output, tuple) and len(output) == 2:
        score = output[1]
        if score is None:
            return output[0], None
        if isinstance(score, numbers.Real) and not isinstance(score, bool):
            score = float(score)
            return output[0], (score if math.isfinite(score) else None)
    return output, None


def _plain(value: Any) -> Any:
    """numpy scalars and arrays as Python values (what JSON and the kinds' checks take)."""
    if hasattr(value, "tolist") and not isinstance(value, (str, bytes)):
        try:
            return value.tolist()
        except (TypeError, ValueError):
            return value
    return value


def run_batch(
    source: ModelSource,
    batch: pd.DataFrame,
    check: Callable[[Any, int], Any],
) -> ModelBatch:
    """Call the model on ``batch`` (rows of the DataFrame) and check each output with
    ``check(value, position in batch)`` (the kind's ``check_value``). An exception of the
    callable propagates; a wrong number of outputs is a ``ValueError``; a refused output is
    named in :attr:`ModelBatch.problems` (row and value) and left out."""
    if source.fn is None:
        outputs: Sequence[Any] = batch[source.column].tolist()
    else:
        result = source.fn(batch)
        if isinstance(result, (pd.Series, pd.Index)):
            result = result.tolist()
        try:
            outputs = list(result)
        except TypeError:
            raise TypeError(
                f"{source.describe()} must return a sequence of {len(batch)} values, "
                f"got {type(result).__name__}"
            ) from None
        if len(outputs) != len(batch):
            raise ValueError(
                f"{source.describe()} returned {len(outputs)} values for a batch of {len(batch)} rows"
            )
    out = ModelBatch()
    for i, output in enumerate(outputs):
        value, score = _split(output)
        value = _plain(value)
        if not isinstance(value, (list, dict)) and is_missing(value):
            continue  # no suggestion for this row
        try:
            out.values[i] = check(value, i)
        except (ValueError, TypeError) as exc:
            row = batch.index[i]
            out.problems.append(f"row {_plain(row)!r}: {_short(value)} refused: {exc}")
            continue
        out.scores[i] = score
    return out


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def client_id(task: str, source: ModelSource, key: str) -> str:
    """The idempotency key of the model's event for item ``key``: the same model name, version
    and item always give the same id, so writing it again writes nothing."""
    text = "\x1f".join([task, source.annotator, source.version, key])
    return "model:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


_NO_OTHER = object()


def model_events(
    task: str,
    source: ModelSource,
    items: Sequence[tuple[str, str]],
    values: Sequence[Any],
    scores: Sequence[float | None],
    others: Sequence[Any] | None = None,
) -> list[Event]:
    """The ``label`` events of ``source`` for ``items`` (``(key, item kind)`` pairs) with their
    checked ``values``, ``scores`` and, for a kind whose values have a position, the verdict
    given with the responses in the other order (``others``; ``_NO_OTHER`` where absent)."""
    events = []
    for n, ((key, item_kind), value, score) in enumerate(zip(items, values, scores, strict=True)):
        record: dict[str, Any] = {"model": source.name, "version": source.version, "score": score}
        other = _NO_OTHER if others is None else others[n]
        if other is not _NO_OTHER:
            record["other_order"] = other
        events.append(
            Event(
                task=task, item_id=key, item_kind=item_kind, annotator=source.annotator, kind="label",
                value=value, suggestion=record, client_id=client_id(task, source, key), client_seq=0,
            )  # fmt: skip
        )
    return events


def stored_outputs(store: Any, task: str, source: ModelSource) -> dict[str, tuple[Any, float | None]]:
    """The model's stored outputs of this version, by item key: ``(value, score)`` (the latest
    label event of each item)."""
    rows = store.events(task, annotator=source.annotator, columns=["item_id", "kind", "value", "suggestion"])
    found: dict[str, tuple[Any, float | None]] = {}
    for key, kind, value, suggestion in rows:
        if kind != "label" or value is None or suggestion is None:
            continue
        try:
            record = json.loads(suggestion)
        except ValueError:
            continue
        if not isinstance(record, dict) or record.get("version") != source.version:
            continue
        score = record.get("score")
        found[key] = (json.loads(value), score if isinstance(score, (int, float)) else None)
    return found


# ---------------------------------------------------------------------- record_model
def record_model(
    data: pd.DataFrame,
    *,
    task: str,
    store: Any,
    fn_or_column: str | Callable[[pd.DataFrame], Any],
    name: str | None = None,
    version: str | None = None,
    batch_size: int = DEFAULT_BATCH,
) -> int:
    """Run a model over every row of ``data`` (indexed by item id) for the existing ``task``
    and store its outputs as the events of ``model:<name>``; returns how many were written.

    ``fn_or_column`` is a column of ``data`` or a callable ``fn(batch: DataFrame) -> values``
    (in the task kind's value format, or ``(value, score)`` tuples), called ``batch_size`` rows
    at a time; ``name`` defaults to the callable's ``__name__`` (the column's name),
    ``version`` to a digest of the callable's code (``"column"``). Items already recorded by
    this name and version are not asked again (the call is idempotent). For a kind whose
    values have a position (a comparison of ``a`` and ``b``), the callable is called again with
    the two response columns exchanged and that verdict, mapped back to ``A``/``B``, is stored
    under ``other_order``: :func:`nblabel.judge_report` counts the judge's position flips from it.
    Model annotators never vote (see :mod:`nblabel.core.models`). A refused output raises
    ``ValueError`` naming its row and value, after the valid ones are written."""
    from .store import open_store  # the store module assembles this layer

    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    source = model_source(fn_or_column, name, version, what="fn_or_column=", name_option="name=")
    if source.column is not None and source.column not in data.columns:
        raise KeyError(f"no column {source.column!r} in the DataFrame; columns: {list(data.columns)}")
    opened, owns = open_store(store)
    try:
        return _record(opened, data, task, source, batch_size)
    finally:
        if owns:
            opened.close()


def _record(store: Any, data: pd.DataFrame, task: str, source: ModelSource, batch_size: int) -> int:
    info = store.task(task)  # KeyError naming the known tasks
    kind = registry.for_task(info.kind, info.config)
    config = dict(info.config or {})
    roles = dict(config.get("columns") or {})
    labels = list(info.labels)
    label_index = {label: i for i, label in enumerate(labels) if isinstance(label, (str, int, float, bool))}
    text_column = roles.get("text")
    swap = kind.swapped_columns(config)
    swap_columns = None if swap is None else (roles.get(swap[0]), roles.get(swap[1]))
    if swap_columns is not None and not all(c in data.columns for c in swap_columns):
        swap_columns = None
    encoded = [ids.encode(v) for v in data.index]
    done = stored_outputs(store, task, source)
    todo = [pos for pos, (key, _) in enumerate(encoded) if key not in done]
    written, problems = 0, []
    for start in range(0, len(todo), batch_size):
        positions = todo[start : start + batch_size]
        batch = data.iloc[positions]

        def check(value: Any, i: int, batch: pd.DataFrame = batch) -> Any:
            text = batch[text_column].iloc[i] if text_column in batch.columns else None
            item = registry.ItemContext(
                f"row {_plain(batch.index[i])!r}", labels=labels, config=config,
                text=text if isinstance(text, str) else None, label_index=label_index,
            )  # fmt: skip
            return kind.check_value(value, item)

        result = run_batch(source, batch, check)
        problems.extend(result.problems)
        kept = sorted(result.values)
        others = None
        if swap_columns is not None and source.fn is not None:
            a, b = swap_columns
            flipped = batch.assign(**{a: batch[b].to_numpy(), b: batch[a].to_numpy()})
            other = run_batch(source, flipped, check)
            problems.extend(f"{p} (responses exchanged)" for p in other.problems)
            others = [kind.from_swapped(other.values[i]) if i in other.values else _NO_OTHER for i in kept]
        events = model_events(
            task, source, [encoded[positions[i]] for i in kept], [result.values[i] for i in kept],
            [result.scores[i] for i in kept], others,
        )  # fmt: skip
        written += store.append_many(events)
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise ValueError(
            f"{source.describe()}: {len(problems)} output(s) refused for task {task!r} "
            f"({written} events written): " + "; ".join(problems[:5]) + more
        )
    return written
