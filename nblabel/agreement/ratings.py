"""Turning what users pass to the agreement functions into one compact integer table.

Every scalar coefficient works on a :class:`RatingTable`: ``codes`` is a units x annotators
array of small integers, ``0..q-1`` for the categories (in ``categories`` order) and ``q`` for
a missing rating. Missing as the *largest* code lets the coefficients count pairs with one
``np.bincount`` over ``code_i * (q + 1) + code_j`` and simply drop the last row and column of
the result, instead of masking every pair.

Inputs understood (see :func:`rating_table`):

* a wide DataFrame: index = items, columns = annotators, NaN/None/NA = missing;
* a 2-D list or array (lists may hold ``None``);
* the long annotations DataFrame of ``Store.annotations()`` (recognised by its ``item_id``,
  ``annotator`` and ``value`` columns): reduced to the current labels (``kind == "label"``)
  and pivoted to items x annotators; the output of ``Store.current()`` works too.

This module is private; :func:`wide_table` is what the report uses to get the same
items x annotators view as a DataFrame.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core.frames import current_from_annotations

#: Values that mean "several labels" (multi-label, spans, boxes): not a scalar rating.
_MULTI_TYPES = (list, tuple, set, frozenset, dict, np.ndarray)

#: Elements per chunk when encoding large numeric arrays (bounds the temporaries).
_CHUNK = 1 << 20

_LONG_COLUMNS = {"item_id", "annotator", "value"}
_CARRIED = ("created_at", "active_ms", "guideline_version", "suggestion")


@dataclass
class RatingTable:
    """Ratings as integer codes: ``codes[u, a]`` in ``0..q-1``, or ``q`` when missing."""

    codes: np.ndarray
    categories: np.ndarray
    units: pd.Index | None = None
    annotators: pd.Index | None = None

    @property
    def q(self) -> int:
        return len(self.categories)

    @property
    def n_units(self) -> int:
        return self.codes.shape[0]

    def counts_per_unit(self) -> np.ndarray:
        """Number of ratings of each unit."""
        m = np.zeros(self.codes.shape[0], dtype=np.int64)
        for j in range(self.codes.shape[1]):
            m += self.codes[:, j] != self.q
        return m

    def take(self, rows: np.ndarray) -> RatingTable:
        units = None if self.units is None else self.units[rows]
        return RatingTable(np.asfortranarray(self.codes[rows]), self.categories, units, self.annotators)


# ---------------------------------------------------------------------------- encoding
def _code_dtype(q: int) -> np.dtype:
    """The smallest signed integer type that holds ``0..q`` (``q`` = missing)."""
    for dtype in (np.int8, np.int16, np.int32):
        if q < np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.int64)


def multi_label_error(example: Any) -> TypeError:
    return TypeError(
        f"ratings must hold one scalar label per cell, got a {type(example).__name__} ({example!r:.60}): "
        "multi-label values need set-based agreement, and spans or boxes need "
        "span_agreement / box_agreement, not a scalar coefficient"
    )


def _check_scalars(uniques: Sequence[Any]) -> None:
    for value in uniques:
        if isinstance(value, _MULTI_TYPES):
            raise multi_label_error(value)


def _sorted_uniques(uniques: np.ndarray) -> np.ndarray:
    """Uniques in sorted order; mixed types that do not compare sort by type name, then text."""
    try:
        order = sorted(range(len(uniques)), key=lambda i: uniques[i])
    except TypeError:
        order = sorted(range(len(uniques)), key=lambda i: (type(uniques[i]).__name__, str(uniques[i])))
    return np.asarray(order, dtype=np.intp)


def _domain_lookup(uniques: Sequence[Any], domain: Sequence[Any], name: str) -> np.ndarray:
    """Position in ``domain`` of each unique observed value (ValueError for any outside it)."""
    index: dict[Any, int] = {}
    for pos, value in enumerate(domain):
        if isinstance(value, _MULTI_TYPES):
            raise TypeError(f"{name} must hold scalar labels, got {value!r}")
        if value in index:
            raise ValueError(f"{name} lists {value!r} twice")
        index[value] = pos
    positions = np.empty(len(uniques), dtype=np.intp)
    outside = []
    for i, value in enumerate(uniques):
        pos = index.get(value)
        if pos is None:
            outside.append(value)
        else:
            positions[i] = pos
    if outside:
        shown = ", ".join(repr(v) for v in outside[:10])
        more = f" and {len(outside) - 10} more" if len(outside) > 10 else ""
        raise ValueError(f"ratings contain values that are not in {name}: {shown}{more}")
    return positions


def _encode_numeric(flat: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Fast path for integral numbers in a modest range (ratings such as 1-5): codes from an
    offset and a lookup table, in chunks, with no hashing and no sort. Returns codes (``-1``
    missing, as offsets into the categories) or ``None`` when the values are not integral or
    spread too wide (the caller then hashes them)."""
    is_float = flat.dtype.kind == "f"
    if flat.size == 0:
        return None
    with np.errstate(invalid="ignore"):
        lo = np.fmin.reduce(flat) if is_float else flat.min()
        hi = np.fmax.reduce(flat) if is_float else flat.max()
    if is_float and np.isnan(lo):  # every value missing
        return np.full(flat.shape, -1, dtype=np.int8), np.empty(0, dtype=flat.dtype)
    if not (np.isfinite(lo) and np.isfinite(hi)) or float(hi) - float(lo) > 30000:
        return None
    lo_int = int(lo)
    if lo_int != lo:
        return None
    size = int(hi) - lo_int + 1
    # Offsets + 1 (0 = missing) in int16: a quarter of the memory of int64 codes.
    offsets = np.empty(flat.shape, dtype=np.int16)
    counts = np.zeros(size + 1, dtype=np.int64)
    for start in range(0, flat.size, _CHUNK):
        x = flat[start : start + _CHUNK]
        off = (x if is_float else x.astype(np.int64)) - (lo_int - 1)
        if is_float:
            missing = np.isnan(off)
            if missing.any():
                off[missing] = 0
            whole = off.astype(np.int16)
            if not np.array_equal(whole, off):
                return None
        else:
            whole = off.astype(np.int16)
        offsets[start : start + _CHUNK] = whole
        counts += np.bincount(whole, minlength=size + 1)
    used = np.flatnonzero(counts[1:])
    lut = np.full(size + 1, -1, dtype=_code_dtype(len(used)))
    lut[used + 1] = np.arange(len(used))
    codes = np.empty(flat.shape, dtype=lut.dtype)
    for start in range(0, flat.size, _CHUNK):
        codes[start : start + _CHUNK] = lut[offsets[start : start + _CHUNK]]
    categories = (used + lo_int).astype(flat.dtype)
    return codes, categories


def _remap(codes: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """``lut[code]`` for codes >= 0 and -1 for missing, in chunks (``lut`` is small)."""
    full = np.append(lut, -1)  # index -1 (missing) reads the appended -1
    out = np.empty(codes.shape, dtype=_code_dtype(int(lut.max()) + 1 if len(lut) else 0))
    for start in range(0, codes.size, _CHUNK):
        out.flat[start : start + _CHUNK] = full[codes.ravel()[start : start + _CHUNK]]
    return out


def encode(
    values: np.ndarray, domain: Sequence[Any] | None = None, domain_name: str = "value_domain"
) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (``-1`` = missing, in the smallest integer type) and the categories of
    an array of labels.

    Categories are ``domain`` when it is given (every observed value must be in it), else the
    sorted distinct observed values.
    """
    shape = np.shape(values)
    flat = np.asarray(values).ravel()
    if flat.dtype.kind in "US":
        # numpy turns None/NaN into the text "nan" when it coerces a list to a string array.
        flat = flat.astype(object)
        flat[flat == "nan"] = None
    fast = _encode_numeric(flat) if flat.dtype.kind in "iuf" else None
    if fast is not None:
        codes, uniques = fast
        if domain is None:
            return codes.reshape(shape), uniques
    else:
        if flat.dtype.kind == "c":
            raise TypeError("complex ratings are not supported")
        try:
            codes, uniques = pd.factorize(flat, sort=False, use_na_sentinel=True)
        except TypeError as exc:  # unhashable: lists (multi-label), dicts (spans, boxes)
            example = next((v for v in flat if isinstance(v, _MULTI_TYPES)), None)
            if example is not None:
                raise multi_label_error(example) from None
            raise TypeError(f"ratings must be hashable scalar labels: {exc}") from None
        uniques = np.asarray(uniques, dtype=object if flat.dtype == object else uniques.dtype)
        if flat.dtype == object:
            _check_scalars(uniques)
        if domain is None:
            order = _sorted_uniques(uniques)
            rank = np.empty(len(order), dtype=np.int64)
            rank[order] = np.arange(len(order))
            return _remap(codes, rank).reshape(shape), _tidy(uniques[order])
    positions = _domain_lookup(list(uniques), domain, domain_name)
    return _remap(codes, positions).reshape(shape), _tidy(np.asarray(list(domain), dtype=object))


def _tidy(categories: np.ndarray) -> np.ndarray:
    """Object arrays of plain numbers become numeric arrays (so interval distances work)."""
    if categories.dtype != object or not len(categories):
        return categories
    if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in categories):
        return categories.astype(np.int64)
    if all(
        isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in categories
    ):
        return categories.astype(np.float64)
    return categories


def _table_from_codes(codes: np.ndarray, categories: np.ndarray, units=None, annotators=None) -> RatingTable:
    """The table with missing coded as q, column-major (the coefficients walk columns)."""
    q = len(categories)
    out = np.empty(codes.shape, dtype=_code_dtype(q), order="F")
    np.copyto(out, codes, casting="unsafe")
    out[codes < 0] = q
    return RatingTable(out, categories, units, annotators)


# ---------------------------------------------------------------------------- inputs
def is_long_frame(frame: Any) -> bool:
    return isinstance(frame, pd.DataFrame) and _LONG_COLUMNS.issubset(frame.columns)


def _current_labels(frame: pd.DataFrame) -> pd.DataFrame:
    """The current label rows of a long annotations frame (skips, flags, retracted labels gone)."""
    if "task" in frame.columns:
        tasks = pd.unique(frame["task"].dropna())
        if len(tasks) > 1:
            shown = ", ".join(repr(t) for t in tasks[:5])
            raise ValueError(
                f"the annotations hold several tasks ({shown}); "
                "pass one task, e.g. store.annotations(task=...)"
            )
    if "id" in frame.columns and "kind" in frame.columns:

        # A hand-made frame may lack the columns the store reduction carries along.
        absent = {c: None for c in _CARRIED if c not in frame.columns}
        source = frame.assign(**absent) if absent else frame
        if "task" not in frame.columns:
            source = source.assign(task="")
        current = current_from_annotations(source)
    else:
        current = frame  # already one row per (item, annotator), e.g. Store.current()
    if "kind" in current.columns:
        current = current[current["kind"] == "label"]
    return current


def _long_table(frame: pd.DataFrame, domain: Sequence[Any] | None, domain_name: str) -> RatingTable:
    current = _current_labels(frame)
    item_codes, items = pd.factorize(current["item_id"], sort=False)
    ann_codes, annotators = pd.factorize(current["annotator"], sort=True)
    values = current["value"].to_numpy(dtype=object)
    codes, categories = encode(values, domain, domain_name)
    table = np.full((len(items), len(annotators)), -1, dtype=np.int64)
    keep = item_codes >= 0
    # Several rows for one (item, annotator) (a frame that is not reduced): the last one stands.
    table[item_codes[keep], ann_codes[keep]] = codes[keep]
    return _table_from_codes(table, categories, pd.Index(items, name="item_id"), pd.Index(annotators))


def _as_2d(ratings: Any) -> np.ndarray:
    """A 2-D array from a list of rows, with a clear error for ragged or nested input."""
    if isinstance(ratings, np.ndarray):
        arr = ratings
    else:
        rows = list(ratings)
        lengths = {
            len(r) if isinstance(r, Sequence | np.ndarray) and not isinstance(r, str) else -1 for r in rows
        }
        if -1 in lengths:
            raise ValueError("ratings must be a 2-D table (units x annotators); got a 1-D sequence")
        if len(lengths) > 1:
            first = len(rows[0])
            bad = next(i for i, r in enumerate(rows) if len(r) != first)
            raise ValueError(
                f"ratings are ragged: row 0 has {first} values but row {bad} has {len(rows[bad])}; "
                "give every unit one cell per annotator (None for missing)"
            )
        width = lengths.pop() if lengths else 0
        try:
            arr = np.asarray(rows)
        except ValueError:
            arr = None
        if arr is None or arr.ndim != 2:
            arr = np.empty((len(rows), width), dtype=object)
            for i, row in enumerate(rows):
                for j, value in enumerate(row):
                    arr[i, j] = value
    if arr.ndim != 2:
        if arr.ndim == 3:
            raise multi_label_error(list(arr.reshape(-1, arr.shape[-1])[0]))
        raise ValueError(f"ratings must be a 2-D table (units x annotators); got {arr.ndim} dimension(s)")
    return arr


def _frame_values(frame: pd.DataFrame) -> np.ndarray:
    if len(frame.columns) and all(
        pd.api.types.is_numeric_dtype(dt) and not pd.api.types.is_bool_dtype(dt) for dt in frame.dtypes
    ):
        return frame.to_numpy(dtype=np.float64, na_value=np.nan)
    return frame.to_numpy(dtype=object)


def rating_table(
    ratings: Any, domain: Sequence[Any] | None = None, domain_name: str = "value_domain"
) -> RatingTable:
    """The :class:`RatingTable` of any supported ratings input."""
    if isinstance(ratings, RatingTable):
        return ratings
    if isinstance(ratings, pd.DataFrame):
        if is_long_frame(ratings):
            return _long_table(ratings, domain, domain_name)
        values = _frame_values(ratings)
        codes, categories = encode(values, domain, domain_name)
        return _table_from_codes(codes, categories, ratings.index, ratings.columns)
    if isinstance(ratings, Mapping):
        return rating_table(pd.DataFrame(dict(ratings)), domain, domain_name)
    if isinstance(ratings, pd.Series | str | bytes) or not hasattr(ratings, "__iter__"):
        raise ValueError(
            "ratings must be a 2-D table (units x annotators), a wide or long DataFrame; "
            f"got {type(ratings).__name__}"
        )
    arr = _as_2d(ratings)
    codes, categories = encode(arr, domain, domain_name)
    return _table_from_codes(codes, categories)


def pair_table(a: Any, b: Any, labels: Sequence[Any] | None = None) -> RatingTable:
    """Two aligned label sequences as a units x 2 table (Series are aligned on their index)."""
    if isinstance(a, pd.DataFrame) or isinstance(b, pd.DataFrame):
        raise TypeError("a and b must be 1-D sequences of labels (one per unit), not DataFrames")
    if isinstance(a, pd.Series) and isinstance(b, pd.Series) and not a.index.equals(b.index):
        a, b = a.align(b, join="inner")
    va = _as_1d(a, "a")
    vb = _as_1d(b, "b")
    if len(va) != len(vb):
        raise ValueError(
            f"a and b must have the same length (one label per unit each); got {len(va)} and {len(vb)}"
        )
    if va.dtype.kind in "iuf" and vb.dtype.kind in "iuf":
        both = np.column_stack([va.astype(np.float64), vb.astype(np.float64)])
        if va.dtype.kind in "iu" and vb.dtype.kind in "iu":
            both = np.column_stack([va.astype(np.int64), vb.astype(np.int64)])
    else:
        both = np.empty((len(va), 2), dtype=object)
        both[:, 0] = va
        both[:, 1] = vb
    codes, categories = encode(both, labels, "labels")
    return _table_from_codes(codes, categories)


def _as_1d(values: Any, name: str) -> np.ndarray:
    if isinstance(values, pd.Series | pd.Index):
        dtype = values.dtype
        if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            return values.to_numpy(dtype=np.float64, na_value=np.nan)
        return values.to_numpy(dtype=object)
    if isinstance(values, np.ndarray):
        arr = values
    else:
        values = list(values)
        try:
            arr = np.asarray(values)
        except ValueError:
            arr = None
        if arr is None or arr.ndim != 1:
            arr = np.empty(len(values), dtype=object)
            for i, v in enumerate(values):
                arr[i] = v
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sequence of labels; got shape {arr.shape}")
    return arr


def wide_table(ratings: Any) -> pd.DataFrame:
    """Items x annotators DataFrame of the current labels (NaN/None missing), from any input
    :func:`rating_table` understands. The report uses it to pick annotator pairs."""
    if isinstance(ratings, pd.DataFrame) and not is_long_frame(ratings):
        return ratings
    if is_long_frame(ratings):
        current = _current_labels(ratings)
        if current.empty:
            return pd.DataFrame(index=pd.Index([], name="item_id"))
        current = current.drop_duplicates(["item_id", "annotator"], keep="last")
        wide = current.pivot(index="item_id", columns="annotator", values="value")
        wide.columns.name = None
        return wide
    return pd.DataFrame(_as_2d(ratings))
