"""Images from DataFrame cells to bytes the browser can show (sent as binary buffers)."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

#: Formats every browser decodes natively; these are sent as the original bytes.
BROWSER_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
#: Images larger than this on either side are downscaled before sending (display only).
MAX_SIDE = 4096


class ImageError(ValueError):
    """A cell that cannot be turned into an image; the message says why."""


def image_payload(value: Any) -> tuple[bytes, str]:
    """Return ``(data, mime)`` for a path, bytes, PIL image or numpy array."""
    if isinstance(value, Image.Image):
        return _encode(value)
    if isinstance(value, np.ndarray):
        return _encode(array_to_image(value))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _from_bytes(bytes(value), "bytes")
    if isinstance(value, (str, os.PathLike)):
        path = Path(value).expanduser()
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ImageError(f"image file not found: {os.fspath(value)}") from None
        except OSError as exc:
            raise ImageError(f"cannot read image {os.fspath(value)}: {exc.strerror or exc}") from None
        return _from_bytes(data, os.fspath(value))
    raise ImageError(
        f"cannot show a {type(value).__name__} as an image (use a path, bytes, PIL image or array)"
    )


def array_to_image(array: np.ndarray) -> Image.Image:
    """A PIL image from a grey (H×W), RGB or RGBA (H×W×3/4) array, uint8 or float in [0, 1]."""
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
        raise ImageError(f"image array has shape {array.shape}; expected H×W, H×W×3 or H×W×4")
    if np.issubdtype(array.dtype, np.floating):
        array = (np.clip(np.nan_to_num(array), 0.0, 1.0) * 255).round().astype(np.uint8)
    elif array.dtype == np.bool_:
        array = array.astype(np.uint8) * 255
    elif array.dtype != np.uint8:
        array = np.clip(array, 0, 255).astype(np.uint8)
    return Image.fromarray(np.ascontiguousarray(array))


def decode_image(data: bytes, source: str) -> Image.Image:
    """Open and fully decode image bytes, or raise ``ImageError`` naming ``source`` and why.

    Every way decoding can fail ends here as an ``ImageError`` — not an image, truncated, a
    decompression bomb (Pillow's pixel limit), out of memory — so no caller ever sees
    Pillow's own exceptions (an item that cannot be shown must never fail a save)."""
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except UnidentifiedImageError:
        raise ImageError(f"{source} is not a readable image (unknown or corrupt format)") from None
    except Image.DecompressionBombError as exc:
        raise ImageError(f"{source} is too large to decode safely: {exc}") from None
    except MemoryError:
        raise ImageError(f"{source} is too large to decode (out of memory)") from None
    except Exception as exc:  # truncated data, broken chunks, codec errors: all unreadable
        raise ImageError(f"{source} is not a readable image ({exc})") from None
    return img


def _from_bytes(data: bytes, source: str) -> tuple[bytes, str]:
    img = decode_image(data, source)
    if img.format in BROWSER_FORMATS and max(img.size) <= MAX_SIDE:
        return data, BROWSER_FORMATS[img.format]
    try:
        return _encode(img)
    except Exception as exc:
        raise ImageError(f"{source} cannot be converted for display ({exc})") from None


def _encode(img: Image.Image) -> tuple[bytes, str]:
    if max(img.size) > MAX_SIDE:
        img = img.copy()
        img.thumbnail((MAX_SIDE, MAX_SIDE))
    if img.mode not in ("RGB", "RGBA", "L", "LA"):
        img = img.convert("RGBA")
    buf = io.BytesIO()
    img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue(), "image/png"


# ---------------------------------------------------------------------- images with their size
#: Largest image accepted from an http(s) URL.
MAX_URL_BYTES = 50 * 1024 * 1024


def fetch_url(url: str, timeout: float = 15.0) -> bytes:
    """The bytes at an ``http(s)`` URL (``ImageError`` naming the URL when it fails)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - http(s) only
            data = response.read(MAX_URL_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ImageError(f"cannot fetch image {url}: {getattr(exc, 'reason', exc)}") from None
    if len(data) > MAX_URL_BYTES:
        raise ImageError(f"image at {url} is larger than {MAX_URL_BYTES // (1024 * 1024)} MB")
    return data


def oriented_image(value: Any) -> tuple[bytes, str, int, int]:
    """``(data, mime, width, height)`` for box drawing: ``width``/``height`` are the image's
    full-resolution size after its EXIF orientation is applied (the coordinate space of
    boxes); ``data`` shows the same orientation, downscaled when larger than ``MAX_SIDE``."""
    from PIL import ImageOps

    if isinstance(value, str) and value.lower().startswith(("http://", "https://")):
        value = fetch_url(value)
    if isinstance(value, np.ndarray):
        value = array_to_image(value)
    if isinstance(value, Image.Image):
        img = value
        source = "image"
    else:
        if isinstance(value, (bytes, bytearray, memoryview)):
            data, source = bytes(value), "bytes"
        elif isinstance(value, (str, os.PathLike)):
            source = os.fspath(value)
            try:
                data = Path(value).expanduser().read_bytes()
            except FileNotFoundError:
                raise ImageError(f"image file not found: {source}") from None
            except OSError as exc:
                raise ImageError(f"cannot read image {source}: {exc.strerror or exc}") from None
        else:
            raise ImageError(
                f"cannot show a {type(value).__name__} as an image "
                "(use a path, URL, bytes, PIL image or array)"
            )
        img = decode_image(data, source)
    try:
        turned = img.getexif().get(0x0112, 1) not in (1, None)  # the EXIF Orientation tag
        oriented = ImageOps.exif_transpose(img) if turned else img
    except Exception:  # a broken EXIF block: show the pixels as stored
        oriented = img
    width, height = oriented.size
    plain = oriented is img and img.format in BROWSER_FORMATS and max(img.size) <= MAX_SIDE
    if plain and not isinstance(value, Image.Image):
        return data, BROWSER_FORMATS[img.format], width, height
    shown = oriented
    if max(shown.size) > MAX_SIDE:
        shown = shown.copy()
        shown.thumbnail((MAX_SIDE, MAX_SIDE))
    buf = io.BytesIO()
    if shown.mode in ("RGB", "L"):
        shown.save(buf, format="JPEG", quality=90)
        return buf.getvalue(), "image/jpeg", width, height
    if shown.mode not in ("RGBA", "LA"):
        shown = shown.convert("RGBA")
    shown.save(buf, format="PNG", compress_level=1)
    return buf.getvalue(), "image/png", width, height
