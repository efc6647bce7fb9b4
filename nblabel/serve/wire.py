"""The frames of a served page's websocket: a JSON message as a text frame, or — with binary
buffers — one binary frame: a 4-byte big-endian length, the JSON (which lists
``buffer_lengths``), then the buffers one after the other."""

from __future__ import annotations

import json
import struct
from typing import Any

__all__ = ["WireError", "decode", "encode"]


class WireError(ValueError):
    """A frame that is not a message of this protocol."""


def encode(message: dict[str, Any], buffers: list[bytes]) -> str | bytes:
    """A message (and its buffers) as one websocket frame."""
    if not buffers:
        return json.dumps(message, ensure_ascii=False, allow_nan=False, default=str)
    head = json.dumps(
        {**message, "buffer_lengths": [len(b) for b in buffers]},
        ensure_ascii=False,
        allow_nan=False,
        default=str,
    ).encode("utf-8")
    return b"".join([struct.pack(">I", len(head)), head, *buffers])


def decode(frame: str | bytes) -> tuple[dict[str, Any], list[bytes]]:
    """A frame as ``(message, buffers)``; :class:`WireError` saying what is wrong."""
    buffers: list[bytes] = []
    if isinstance(frame, bytes):
        if len(frame) < 4:
            raise WireError("binary frame shorter than its header")
        (size,) = struct.unpack(">I", frame[:4])
        if 4 + size > len(frame):
            raise WireError("binary frame shorter than its JSON part")
        text = frame[4 : 4 + size].decode("utf-8", "strict")
        rest = frame[4 + size :]
    else:
        text, rest = frame, b""
    try:
        message = json.loads(text)
    except ValueError as exc:
        raise WireError(f"not JSON: {exc}") from None
    if not isinstance(message, dict):
        raise WireError("a message must be a JSON object")
    lengths = message.pop("buffer_lengths", [])
    if not isinstance(lengths, list) or not all(isinstance(n, int) and n >= 0 for n in lengths):
        raise WireError("buffer_lengths must be a list of sizes")
    if sum(lengths) != len(rest):
        raise WireError("the buffers' sizes do not add up to the frame")
    at = 0
    for n in lengths:
        buffers.append(rest[at : at + n])
        at += n
    return message, buffers
