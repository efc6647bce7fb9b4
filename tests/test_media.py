"""Images from every supported cell type reach the browser as binary buffers with a mime type;
a bad image becomes an item with an error, never an exception; nothing is base64 in a trait."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from _driver import Browser
from PIL import Image

from nblabel.core.media import MAX_SIDE, ImageError, array_to_image, image_payload


def png_bytes(size=(6, 4), color=(200, 10, 10)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


def decode(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


@pytest.fixture
def image_frame(tmp_path):
    jpg = tmp_path / "photo.jpg"
    Image.new("RGB", (8, 5), (0, 128, 255)).save(jpg, format="JPEG")
    bmp = tmp_path / "old.bmp"
    Image.new("RGB", (3, 3), (1, 2, 3)).save(bmp, format="BMP")
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(png_bytes()[:30])
    rgba_float = np.zeros((4, 4, 4), dtype=np.float32)
    rgba_float[..., 0] = 1.0
    rgba_float[..., 3] = 0.5
    cells = {
        "path_jpg": str(jpg),
        "path_bmp": bmp,  # a Path object; BMP is re-encoded to PNG
        "bytes_png": png_bytes(),
        "pil": Image.new("L", (7, 3), 99),
        "grey_u8": np.arange(12, dtype=np.uint8).reshape(3, 4),
        "rgb_u8": np.full((2, 3, 3), 200, dtype=np.uint8),
        "rgba_u8": np.full((2, 2, 4), 50, dtype=np.uint8),
        "grey_float": np.linspace(0, 1, 6, dtype=np.float64).reshape(2, 3),
        "rgba_float": rgba_float,
        "missing_file": str(tmp_path / "nope.png"),
        "corrupt": str(corrupt),
        "garbage_bytes": b"not an image at all",
        "none": None,
        "bad_shape": np.zeros((2, 2, 5), dtype=np.uint8),
        "bad_type": 3.5,
    }
    return pd.DataFrame({"image": pd.Series(cells, dtype=object), "caption": list(cells)})


MIMES = {
    "path_jpg": ("image/jpeg", (8, 5)),
    "path_bmp": ("image/png", (3, 3)),
    "bytes_png": ("image/png", (6, 4)),
    "pil": ("image/png", (7, 3)),
    "grey_u8": ("image/png", (4, 3)),
    "rgb_u8": ("image/png", (3, 2)),
    "rgba_u8": ("image/png", (2, 2)),
    "grey_float": ("image/png", (3, 2)),
    "rgba_float": ("image/png", (4, 4)),
}
ERRORS = {
    "missing_file": "not found",
    "corrupt": "not a readable image",
    "garbage_bytes": "not a readable image",
    "none": "(no image)",
    "bad_shape": "shape",
    "bad_type": "float",
}


def all_windows(b: Browser, n: int) -> dict[str, tuple[dict, bytes | None]]:
    """Visit every item; return key -> (image field, buffer bytes)."""
    found = {}
    b.hello()
    keys = None
    for _ in range(n):
        msg, buffers = b.out.last_with_buffers("window")
        for item in msg["items"]:
            if "payload" in item and item["key"] not in found:
                image = item["payload"]["image"]
                data = buffers[image["buffer"]] if "buffer" in image else None
                found[item["key"]] = (image, data)
        keys = msg["next"]
        if keys is None:
            break
        b.goto(keys)
    return found


def test_images_arrive_as_buffers_with_mime(make_classify, image_frame):
    w = make_classify(image_frame, image="image", text="caption")
    found = all_windows(Browser(w), len(image_frame))
    assert set(found) == set(image_frame.index)
    for key, (mime, size) in MIMES.items():
        image, data = found[key]
        assert image["mime"] == mime, key
        assert isinstance(data, (bytes, bytearray, memoryview)), key
        assert decode(bytes(data)).size == size, key
        assert set(image) == {"buffer", "mime"}
    for key, fragment in ERRORS.items():
        image, data = found[key]
        assert data is None and set(image) == {"error"}, key
        assert fragment in image["error"], (key, image["error"])


def test_items_with_broken_images_can_still_be_labeled(make_classify, image_frame):
    w = make_classify(image_frame, image="image")
    b = Browser(w)
    b.hello()
    for key in ["corrupt", "missing_file", "none"]:
        b.goto(key)
        b.label(key, 0)
    assert w.labels[["corrupt", "missing_file", "none"]].tolist() == ["pos"] * 3
    assert b.out.of_type("error") == []


def test_no_base64_in_any_trait(make_classify, image_frame):
    w = make_classify(image_frame, image="image", text="caption")
    all_windows(Browser(w), len(image_frame))
    state = {k: v for k, v in w.get_state().items() if k not in ("_esm", "_css")}
    blob = json.dumps(state, default=str)
    assert ";base64," not in blob and "data:image" not in blob and "iVBOR" not in blob and "/9j/" not in blob
    assert len(blob) < 5_000


def test_window_message_metadata_is_json_without_image_bytes(make_classify, image_frame):
    w = make_classify(image_frame, image="image")
    b = Browser(w)
    b.hello()
    msg, buffers = b.out.last_with_buffers("window")
    text = json.dumps(msg)  # raises if bytes hid in the JSON part
    assert "iVBOR" not in text and len(buffers) >= 1


def test_payload_already_held_by_the_browser_is_not_resent(make_classify, image_frame):
    w = make_classify(image_frame, image="image")
    b = Browser(w)
    b.hello()
    before = set(b.have)
    assert before >= {"path_jpg", "path_bmp"}
    b.goto("grey_u8")  # a window overlapping the one the browser holds
    msg, buffers = b.out.last_with_buffers("window")
    held = [item for item in msg["items"] if item["key"] in before]
    assert held and all("payload" not in item for item in held)
    assert any("payload" in item for item in msg["items"])
    # only items the browser lacks bring a buffer
    sent = [item for item in msg["items"] if "payload" in item]
    assert len(buffers) == sum("buffer" in item["payload"]["image"] for item in sent)


def test_large_images_are_downscaled(tmp_path):
    big = np.zeros((MAX_SIDE + 10, 20), dtype=np.uint8)
    data, mime = image_payload(big)
    assert mime == "image/png" and max(decode(data).size) == MAX_SIDE
    path = tmp_path / "big.png"
    Image.fromarray(big).save(path)
    data, mime = image_payload(path)
    assert max(decode(data).size) == MAX_SIDE


def test_original_bytes_kept_for_browser_formats(tmp_path):
    raw = png_bytes((5, 5))
    assert image_payload(raw) == (raw, "image/png")
    assert image_payload(bytearray(raw))[0] == raw
    assert image_payload(memoryview(raw))[0] == raw
    path = tmp_path / "a.gif"
    Image.new("P", (2, 2)).save(path, format="GIF")
    assert image_payload(str(path)) == (path.read_bytes(), "image/gif")


def test_array_conversion_values():
    grey = array_to_image(np.array([[0.0, 0.5, 1.0, 2.0, -1.0, np.nan]]))
    assert np.asarray(grey).ravel().tolist() == [0, 128, 255, 255, 0, 0]
    rgb = array_to_image(np.array([[[1.0, 0.0, 0.0]]], dtype=np.float32))
    assert rgb.mode == "RGB" and rgb.getpixel((0, 0)) == (255, 0, 0)
    rgba = array_to_image(np.zeros((1, 1, 4), dtype=np.uint8))
    assert rgba.mode == "RGBA"
    single = array_to_image(np.full((2, 2, 1), 7, dtype=np.uint8))
    assert single.mode == "L" and single.getpixel((0, 0)) == 7
    mask = array_to_image(np.array([[True, False]]))
    assert np.asarray(mask).ravel().tolist() == [255, 0]
    wide = array_to_image(np.array([[300, -5]], dtype=np.int32))
    assert np.asarray(wide).ravel().tolist() == [255, 0]


@pytest.mark.parametrize("bad", [np.zeros(3), np.zeros((2, 2, 2)), object(), 12])
def test_bad_cells_raise_image_error(bad):
    with pytest.raises(ImageError):
        image_payload(bad)
