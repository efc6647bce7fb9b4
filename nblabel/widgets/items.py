"""Binding to a pandas DataFrame: the index is the item id, columns hold what each item shows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..core import ids, limits
from ..core.frames import is_missing

EMPTY = None  # what an item field holds when the cell is NaN/None
#: Encoded ids an :class:`ItemSource` keeps (per position; emptied when full).
KEY_CACHE = 65_536


class ItemSource:
    """Read-only access to the rows of a DataFrame by position or by encoded id.

    The DataFrame is not copied; only the columns named in ``columns`` are read, one cell at a
    time, when an item is sent to the browser — straight from each column's array (see
    :func:`_cell_reader`), not through pandas' indexing, which cost more than the rest of a
    window. Encoded ids and index labels are kept once computed (:data:`KEY_CACHE` of each).
    """

    def __init__(self, df: pd.DataFrame, columns: dict[str, str | None]) -> None:
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
        for role, column in columns.items():
            if column is not None and column not in df.columns:
                raise KeyError(
                    f"{role}={column!r}: no column {column!r} in the DataFrame; columns: {list(df.columns)}"
                )
        index = df.index
        if not index.is_unique:
            duplicate = _plain(index[index.duplicated()][0])
            raise ValueError(
                f"the DataFrame index is the item id and must be unique; {duplicate!r} appears "
                f"{int((index == duplicate).sum())} times (use df.reset_index() or set a unique index)"
            )
        self.df = df
        self.index = index
        self.columns = {role: col for role, col in columns.items() if col is not None}
        self._series = {role: df[col] for role, col in self.columns.items()}
        self._cells = {role: _cell_reader(series) for role, series in self._series.items()}
        self._keys: dict[int, tuple[str, str]] = {}  # position -> (encoded id, id kind)
        self._labels_at: dict[int, Any] = {}  # position -> index label
        self._int_index = pd.api.types.is_integer_dtype(index.dtype) and not pd.api.types.is_bool_dtype(
            index.dtype
        )
        self._str_index = (
            pd.api.types.is_string_dtype(index.dtype)
            and all(isinstance(v, str) for v in index[:1000])
            and index.inferred_type == "string"
        )
        self._key_to_pos: dict[str, int] | None = None
        if len(index):
            ids.encode(index[0])  # an index of an unsupported type fails here, not on first display
        if not isinstance(index, pd.MultiIndex) and index.inferred_type.startswith("mixed"):
            self._check_keys_distinct()
        _check_ids_storable(index)

    def _check_keys_distinct(self) -> None:
        """In an index of mixed types, ``1`` and ``"1"`` are different rows but would share the
        stored id ``"1"``: refuse such an index rather than mix up their labels."""
        seen: dict[str, int] = {}
        for pos, value in enumerate(self.index):
            key = ids.encode(value)[0]
            if key in seen:
                other = _plain(self.index[seen[key]])
                raise ValueError(
                    f"index labels {other!r} and {_plain(value)!r} are different but both are stored "
                    f"as item id {key!r}; use one type for the index (e.g. df.index.astype(str))"
                )
            seen[key] = pos
        self._key_to_pos = seen

    def __len__(self) -> int:
        return len(self.index)

    # ids -----------------------------------------------------------------
    def key(self, pos: int) -> str:
        """Encoded id of the item at ``pos``."""
        return self.key_and_kind(pos)[0]

    def key_and_kind(self, pos: int) -> tuple[str, str]:
        """Encoded id and id kind of the item at ``pos``."""
        found = self._keys.get(pos)
        if found is None:
            found = ids.encode(self.index[pos])
            if len(self._keys) >= KEY_CACHE:
                self._keys.clear()
            self._keys[pos] = found
        return found

    def label(self, pos: int) -> Any:
        """The original index label at ``pos`` (as a plain Python value)."""
        try:
            return self._labels_at[pos]
        except KeyError:
            label = self._labels_at[pos] = _plain(self.index[pos])
            if len(self._labels_at) >= KEY_CACHE:
                self._labels_at.clear()
            return label

    def position(self, item_id: Any) -> int:
        """Position of the item whose index label is ``item_id`` (``KeyError`` if absent)."""
        try:
            pos = self.index.get_loc(item_id)
        except (KeyError, TypeError):
            raise KeyError(f"item id {item_id!r} is not in the DataFrame index") from None
        if not isinstance(pos, (int, np.integer)):
            raise KeyError(f"item id {item_id!r} does not name a single row")
        return int(pos)

    def position_of_key(self, key: str) -> int:
        """Position of the item with encoded id ``key`` (``KeyError`` if absent)."""
        if self._int_index:
            try:
                return self.position(int(key))
            except ValueError:
                raise KeyError(f"item id {key!r} is not in the DataFrame index") from None
        if self._str_index:
            return self.position(key)
        if self._key_to_pos is None:
            self._key_to_pos = {ids.encode(v)[0]: i for i, v in enumerate(self.index)}
        try:
            return self._key_to_pos[key]
        except KeyError:
            raise KeyError(f"item id {key!r} is not in the DataFrame index") from None

    # cells ---------------------------------------------------------------
    def has(self, role: str) -> bool:
        """Whether a column was bound to ``role``."""
        return role in self._series

    def cell(self, role: str, pos: int) -> Any:
        """The cell for ``role`` at ``pos``; NaN/None/NA become ``None``."""
        value = self._cells[role](pos)
        if value.__class__ is str:  # the usual cell, never missing: no pd.isna
            return value
        return EMPTY if is_missing(value) else value

    def text(self, role: str, pos: int) -> str | None:
        """The cell as display text (``None`` when empty)."""
        value = self.cell(role, pos)
        if value is None:
            return None
        return value if isinstance(value, str) else str(value)

    def priority_order(self, order: str | Callable[[pd.DataFrame], Any] | None) -> np.ndarray | None:
        """Positions sorted by descending priority, or ``None`` for DataFrame order.

        ``order`` is a column name or a callable returning one priority per row; higher
        priorities come first and ties keep DataFrame order.
        """
        if order is None:
            return None
        if callable(order):
            priority = np.asarray(order(self.df))
            source = "order= callable"
        else:
            if order not in self.df.columns:
                raise KeyError(
                    f"order={order!r}: no column {order!r} in the DataFrame; columns: {list(self.df.columns)}"
                )
            priority = self.df[order].to_numpy()
            source = f"order column {order!r}"
        if priority.shape != (len(self),):
            raise ValueError(
                f"{source} must give one priority per row ({len(self)}), got shape {priority.shape}"
            )
        try:
            keys = -priority.astype("float64")
        except (TypeError, ValueError):
            raise ValueError(f"{source} must be numeric priorities") from None
        if np.isnan(keys).any():
            bad = _plain(self.index[np.flatnonzero(np.isnan(keys))[0]])
            raise ValueError(f"{source} has a missing priority at row {bad!r}")
        return np.argsort(keys, kind="stable")


def _cell_reader(series: pd.Series) -> Callable[[int], Any]:
    """``read(pos)``: the cell of ``series`` at position ``pos``, as ``series.iloc[pos]`` gives
    it (up to the missing marker of Arrow text, which :meth:`ItemSource.cell` turns into
    ``None`` either way), without pandas' indexing machinery and without copying the column:
    a NumPy array of objects, numbers or booleans is indexed directly, Arrow-backed text through
    its ``pyarrow`` array, any other extension array (dates, categories, ...) through its own
    ``__getitem__``."""
    values = series.array
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "biufcO":
        array = series.to_numpy(copy=False)  # the column's own array: no copy
        return array.__getitem__
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        arrow = values.__arrow_array__()  # a pyarrow ChunkedArray over the same buffers

        def read(pos: int) -> Any:
            return arrow[pos].as_py()

        return read
    return values.__getitem__


def _check_ids_storable(index: pd.Index) -> None:
    """Refuse, when the DataFrame is bound, an index whose ids the store cannot keep (text
    with a NUL character or a lone surrogate), naming the row: otherwise its labels would be
    accepted and then fail to save. Numbers, timestamps and booleans always fit; strings are
    checked in one pass (MultiIndex: each level's values)."""
    if isinstance(index, pd.MultiIndex):
        # the key of a row is JSON of its parts: NUL is escaped there, lone surrogates are not
        index = index.remove_unused_levels()
        for level, values in enumerate(index.levels):
            if values.dtype.kind in "biufcmM":
                continue
            texts = [(pos, v) for pos, v in enumerate(values) if isinstance(v, str)]
            bad = limits.first_unstorable([v for _, v in texts], nul_ok=True)
            if bad is not None:
                row = int(np.flatnonzero(index.codes[level] == texts[bad][0])[0])
                _refuse_id(index, row)
        return
    bad = _first_bad_text(index)
    if bad is not None:
        _refuse_id(index, bad)


def _first_bad_text(values: pd.Index) -> int | None:
    """Position of the first value whose stored key the store cannot keep, or ``None``."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        bad = _first_bad_text(pd.Index(values.categories))
        return None if bad is None else int(np.flatnonzero(values.codes == bad)[0])
    if values.dtype.kind in "biufcmM":
        return None
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        # Arrow holds valid UTF-8 only: NUL is the one character to look for (vectorised)
        hits = np.asarray(pd.Series(values).str.contains("\x00", regex=False).fillna(False), dtype=bool)
        return int(np.flatnonzero(hits)[0]) if hits.any() else None
    if values.inferred_type == "string":
        return limits.first_unstorable(values.to_numpy(dtype=object))
    # mixed or tuples: what is stored is the encoded key (tuples are JSON text)
    texts = [(pos, ids.encode(v)[0]) for pos, v in enumerate(values) if isinstance(v, (str, tuple))]
    bad = limits.first_unstorable([key for _, key in texts])
    return None if bad is None else texts[bad][0]


def _refuse_id(index: pd.Index, row: int) -> None:
    label = _plain(index[row])
    if isinstance(label, str):
        shown, problem, part = limits.quote(label), limits.text_problem(label), ""
    else:  # a tuple: stored as JSON, which escapes NUL, so only a lone surrogate counts
        label = tuple(_plain(v) for v in label)
        bad = next(v for v in label if isinstance(v, str) and limits.text_problem(v.replace("\x00", "")))
        shown, problem = repr(label), limits.text_problem(bad.replace("\x00", ""))
        part = f" has a part {limits.quote(bad)} that"
    fix = (
        "remove it (df.index = df.index.str.replace('\\x00', ''))"
        if "NUL" in (problem or "")
        else "decode the text with the right encoding, or replace the bad characters"
    )
    raise ValueError(f"the item id at row {row} of the DataFrame index, {shown},{part} {problem}: {fix}")


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value (so messages read ``7``, not ``np.int64(7)``)."""
    return value.item() if isinstance(value, np.generic) else value
