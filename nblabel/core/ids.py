"""Item ids: DataFrame index labels encoded as text for the store and the browser.

Each id is stored as ``(key, kind)``: ``key`` is a string, ``kind`` names the original type so
that ``decode(key, kind)`` gives back a label equal to the original index value.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["encode", "decode", "encode_many"]


def encode(value: Any) -> tuple[str, str]:
    """Return ``(key, kind)`` for one index label."""
    if isinstance(value, (bool, np.bool_)):
        return ("true" if value else "false", "bool")
    if isinstance(value, (int, np.integer)):
        return (str(int(value)), "int")
    if isinstance(value, (float, np.floating)):
        return (repr(float(value)), "float")
    if isinstance(value, str):
        return (value, "str")
    if isinstance(value, pd.Timestamp):
        return (value.isoformat(), "timestamp")
    if isinstance(value, tuple):
        parts = [list(encode(v)) for v in value]
        return (json.dumps(parts, ensure_ascii=False), "tuple")
    raise TypeError(
        f"index label {value!r} of type {type(value).__name__} cannot be used as an item id; "
        "use str, int, float, bool, Timestamp or a tuple of those"
    )


def encode_many(index: pd.Index) -> list[str]:
    """Encode every label of ``index`` to its key (fast paths for int and str indexes)."""
    if pd.api.types.is_integer_dtype(index.dtype) and not pd.api.types.is_bool_dtype(index.dtype):
        return index.astype("int64").astype(str).tolist()
    return [encode(v)[0] for v in index]


def decode(key: str, kind: str) -> Any:
    """Invert :func:`encode`."""
    if kind == "int":
        return int(key)
    if kind == "str":
        return key
    if kind == "float":
        return float(key)
    if kind == "bool":
        return key == "true"
    if kind == "timestamp":
        return _timestamp(key)
    if kind == "tuple":
        return tuple(decode(k, t) for k, t in json.loads(key))
    raise ValueError(f"unknown item id kind {kind!r}")


_SECONDS_OFFSET = re.compile(r"(.+)([+-])(\d\d):(\d\d):(\d\d)")


def _timestamp(key: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(key)
    except ValueError:
        # pandas cannot parse a UTC offset with seconds (historic local mean time, such as
        # Europe/Paris before 1911: "+00:09:21"), which its own isoformat() writes.
        match = _SECONDS_OFFSET.fullmatch(key)
        if match is None:
            raise
        local, sign, hours, minutes, seconds = match.groups()
        offset = dt.timedelta(hours=int(hours), minutes=int(minutes), seconds=int(seconds))
        offset = -offset if sign == "-" else offset
        utc = (pd.Timestamp(local) - offset).tz_localize("UTC")
        return utc.tz_convert(dt.timezone(offset))
