"""Label Studio results ⇄ nblabel values, one codec per task kind (each kind returns its own from
``exchange_codec("label-studio")``):

=================== ==================== ===============================================
codec               Label Studio result  nblabel value
=================== ==================== ===============================================
ChoicesCodec        ``choices``          a label; several choices: a list (multi-label)
LabelsCodec         ``labels`` on text   ``[{start, end, label}]`` (code points)
RectanglesCodec     ``rectanglelabels``  ``[{x, y, w, h, label}]`` in image pixels
PairwiseCodec       ``pairwise``         ``{choice: "A" | "B", ...}`` (left is A)
=================== ==================== ===============================================

A codec reads the results of one control (``from_name``) of one annotation and gives the value
in stored form (the kind checks it afterwards), and writes a value back as results. Errors are
:class:`FieldError`: the field of the result at fault, the message; the reader adds the file,
the task and the annotation.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from PIL import Image

from ..core.offsets import Offsets

__all__ = [
    "NOTHING",
    "ChoicesCodec",
    "Fields",
    "FieldError",
    "LabelsCodec",
    "PairwiseCodec",
    "RectanglesCodec",
    "Result",
]

#: ``(position in the annotation's result list, the result)``.
Result = tuple[int, Mapping[str, Any]]
#: What :meth:`decode` returns when an annotation says nothing for the control.
NOTHING: Any = object()
#: File name endings of images (a data field holding one is shown as an image).
IMAGE_ENDINGS = (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".avif")


class FieldError(ValueError):
    """A field of a Label Studio task that cannot be read: ``field`` names it
    (``"result[2].value.start"``, ``"data.text"``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass
class Fields:
    """How a task's ``data`` is read: the data fields named by options (``text_field=``,
    ``image_field=``, ``a_field=``, ``b_field=``, ``prompt_field=``, ``id_field=``) and the
    object names the results point at (``to_name``)."""

    options: Mapping[str, Any] = field(default_factory=dict)

    def find(self, data: Mapping[str, Any], role: str, targets: Sequence[str]) -> str | None:
        """The data key of ``role`` (``"text"``, ``"image"``): the ``<role>_field`` option, a
        ``to_name`` that is a data key, or the only text field of ``data``; ``None`` when
        there is none. ``FieldError`` when an option names a key ``data`` lacks."""
        named = self.options.get(f"{role}_field")
        if named is not None:
            if named not in data:
                raise FieldError(
                    f"data.{named}", f"no such field ({role}_field={named!r}); fields: {list(data)}"
                )
            return str(named)
        for target in targets:
            if target in data and isinstance(data[target], str):
                return target
        texts = self.text_keys(data)
        return texts[0] if len(texts) == 1 else None

    def text_keys(self, data: Mapping[str, Any]) -> list[str]:
        """The keys of ``data`` holding text, in order, except the id field."""
        skip = {self.options.get("id_field")}
        return [k for k, v in data.items() if isinstance(v, str) and k not in skip]


def region_id(*parts: Any) -> str:
    """A stable 10-character result id (Label Studio's region ids are 10 characters)."""
    return hashlib.sha1(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()[:10]


def _labels_of(value: Any, key: str, field: str) -> list[Any]:
    if not isinstance(value, dict):
        raise FieldError(field, f"a result value must be an object, got {value!r}")
    labels = value.get(key)
    if not isinstance(labels, list) or not labels:
        raise FieldError(f"{field}.{key}", f"expected a non-empty list of labels, got {labels!r}")
    for label in labels:
        if not isinstance(label, (str, int, float)) or isinstance(label, bool):
            raise FieldError(f"{field}.{key}", f"a label must be text or a number, got {label!r}")
    return labels


def _first_seen(values: Iterable[Any]) -> list[Any]:
    return list(dict.fromkeys(values))


def _xml_labels(tag: str, labels: Sequence[Any]) -> str:
    return "".join(f"    <{tag} value={quoteattr(str(label))}/>\n" for label in labels)


class _Codec:
    """What every codec shares."""

    result_types: tuple[str, ...] = ()
    #: The control tag of the labeling config.
    control: str = ""

    def reads(self, result_type: str) -> bool:
        """Whether this codec reads results of ``result_type``."""
        return result_type in self.result_types

    def companions(self, name: str, names: Iterable[str]) -> set[str]:
        """The other controls of the file (of ``names``) this codec reads with control ``name``."""
        return set()

    def finish(self, value: Any, config: Mapping[str, Any]) -> Any:
        """A decoded value once the task's config is known (``NOTHING``: no event)."""
        return value

    def task_labels(self, values: Sequence[Any]) -> list[Any]:
        """The task's label set: the labels of ``values`` in first-seen order."""
        return _first_seen(label for value in values for label in self.labels(value))

    def labels(self, value: Any) -> list[Any]:
        """The labels one value uses."""
        return []


# ---------------------------------------------------------------------- choices → classify
class ChoicesCodec(_Codec):
    """``choices`` ⇄ classify: one choice is a label; several (or ``multi=True``) make the task
    multi-label. An annotation without a choice says nothing (multi-label: no labels)."""

    result_types = ("choices",)
    control = "Choices"

    def item(
        self,
        data: Mapping[str, Any],
        targets: Sequence[str],
        fields: Fields,
        results: Sequence[Mapping[str, Any]],
    ) -> dict[str, Any]:
        key = fields.find(data, "image", targets) if fields.options.get("image_field") else None
        key = key or fields.find(data, "text", targets)
        if key is None:
            return {}
        value = data[key]
        if fields.options.get("image_field") == key or _is_image(key, value):
            return {"image": value}
        return {"text": value}

    def decode(self, results: Sequence[Result], companions: Sequence[Result], item: Mapping[str, Any]) -> Any:
        if not results:
            return []
        chosen: list[Any] = []
        for i, result in results:
            chosen.extend(_labels_of(result.get("value"), "choices", f"result[{i}].value"))
        chosen = _first_seen(chosen)
        return chosen[0] if len(chosen) == 1 else chosen

    def task_config(
        self, values: Sequence[Any], items: Sequence[Mapping[str, Any]], options: Mapping[str, Any]
    ) -> dict[str, Any]:
        multi = options.get("multi")
        if multi is None:
            multi = any(isinstance(v, list) and len(v) > 1 for v in values)
        return {"multi": bool(multi)}

    def finish(self, value: Any, config: Mapping[str, Any]) -> Any:
        if config.get("multi"):
            return value if isinstance(value, list) else [value]
        return NOTHING if value == [] else value

    def labels(self, value: Any) -> list[Any]:
        return list(value) if isinstance(value, list) else [value]

    def data(self, item: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
        return {k: item[k] for k in ("text", "image") if k in item}

    def encode(
        self, value: Any, item: Mapping[str, Any], config: Mapping[str, Any], name: str, key: tuple[Any, ...]
    ) -> list[dict[str, Any]]:
        chosen = value if isinstance(value, list) else [value]
        if not chosen:
            return []
        target = "image" if "image" in item and "text" not in item else "text"
        return [
            {
                "id": region_id(*key),
                "from_name": name,
                "to_name": target,
                "type": "choices",
                "origin": "manual",
                "value": {"choices": list(chosen)},
            }
        ]

    def label_config(
        self, labels: Sequence[Any], config: Mapping[str, Any], name: str, items: Sequence[Mapping[str, Any]]
    ) -> str:
        image = any("image" in i for i in items) and not any("text" in i for i in items)
        obj = '  <Image name="image" value="$image"/>\n' if image else '  <Text name="text" value="$text"/>\n'
        style = "multiple" if config.get("multi") else "single"
        return (
            f'<View>\n{obj}  <Choices name={quoteattr(name)} toName="{"image" if image else "text"}" '
            f'choice="{style}">\n{_xml_labels("Choice", labels)}  </Choices>\n</View>\n'
        )


def _is_image(key: str, value: Any) -> bool:
    if not isinstance(value, str):
        return False
    path = value.split("?", 1)[0].lower()
    return key.lower() in ("image", "img", "image_url", "url") or path.endswith(IMAGE_ENDINGS)


# ---------------------------------------------------------------------- labels → spans
class LabelsCodec(_Codec):
    """``labels`` on text ⇄ spans: ``start``/``end`` are character offsets (code points, as
    Label Studio writes them since it fixed emoji offsets; a region whose ``text`` shows that
    it counted UTF-16 units, as older versions did, is converted). A region with several labels
    is one span per label. Overlapping spans make the task ``overlap=True``."""

    result_types = ("labels",)
    control = "Labels"

    def item(
        self,
        data: Mapping[str, Any],
        targets: Sequence[str],
        fields: Fields,
        results: Sequence[Mapping[str, Any]],
    ) -> dict[str, Any]:
        key = fields.find(data, "text", targets)
        if key is None:
            raise FieldError("data", f"no text field found (fields: {list(data)}); pass text_field=")
        return {"text": data[key]}

    def decode(self, results: Sequence[Result], companions: Sequence[Result], item: Mapping[str, Any]) -> Any:
        text = item.get("text")
        offsets: Offsets | None = None
        spans = []
        for i, result in results:
            where = f"result[{i}].value"
            value = result.get("value")
            labels = _labels_of(value, "labels", where)
            start, end = value.get("start"), value.get("end")
            for name, offset in (("start", start), ("end", end)):
                if not isinstance(offset, int) or isinstance(offset, bool):
                    raise FieldError(f"{where}.{name}", f"expected a character offset, got {offset!r}")
            marked = value.get("text")
            if isinstance(text, str) and isinstance(marked, str) and text[start:end] != marked:
                offsets = offsets or Offsets(text)
                try:
                    start, end = offsets.from_utf16(start), offsets.from_utf16(end)
                except ValueError as exc:
                    raise FieldError(
                        where,
                        f"offsets {value.get('start')}..{value.get('end')} do not mark "
                        f"{marked!r} in the text ({exc})",
                    ) from None
                if text[start:end] != marked:
                    raise FieldError(
                        where,
                        f"offsets {value.get('start')}..{value.get('end')} do not mark "
                        f"{marked!r} in the text",
                    )
            for label in labels:
                spans.append({"start": start, "end": end, "label": label})
        return spans

    def task_config(
        self, values: Sequence[Any], items: Sequence[Mapping[str, Any]], options: Mapping[str, Any]
    ) -> dict[str, Any]:
        overlap = options.get("overlap")
        if overlap is None:
            overlap = any(_overlapping(v) for v in values)
        return {"overlap": bool(overlap)}

    def labels(self, value: Any) -> list[Any]:
        return [span["label"] for span in value]

    def data(self, item: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
        return {"text": item.get("text", "")}

    def encode(
        self, value: Any, item: Mapping[str, Any], config: Mapping[str, Any], name: str, key: tuple[Any, ...]
    ) -> list[dict[str, Any]]:
        text = item.get("text") or ""
        return [
            {
                "id": region_id(*key, n),
                "from_name": name,
                "to_name": "text",
                "type": "labels",
                "origin": "manual",
                "value": {
                    "start": s["start"],
                    "end": s["end"],
                    "text": text[s["start"] : s["end"]],
                    "labels": [s["label"]],
                },
            }
            for n, s in enumerate(value or [])
        ]

    def label_config(
        self, labels: Sequence[Any], config: Mapping[str, Any], name: str, items: Sequence[Mapping[str, Any]]
    ) -> str:
        return (
            f'<View>\n  <Labels name={quoteattr(name)} toName="text">\n{_xml_labels("Label", labels)}'
            '  </Labels>\n  <Text name="text" value="$text"/>\n</View>\n'
        )


def _overlapping(value: Any) -> bool:
    spans = sorted((s["start"], s["end"]) for s in value) if isinstance(value, list) else []
    return any(b[0] < a[1] for a, b in zip(spans, spans[1:], strict=False))


# ---------------------------------------------------------------------- rectanglelabels → boxes
class RectanglesCodec(_Codec):
    """``rectanglelabels`` ⇄ boxes: percent of the image (``x``, ``y``, ``width``, ``height``)
    times ``original_width``/``original_height`` is image pixels. Rotated rectangles are refused
    (nblabel's boxes are upright). The item keeps the image's path or URL from ``data``."""

    result_types = ("rectanglelabels",)
    control = "RectangleLabels"

    def item(
        self,
        data: Mapping[str, Any],
        targets: Sequence[str],
        fields: Fields,
        results: Sequence[Mapping[str, Any]],
    ) -> dict[str, Any]:
        key = fields.find(data, "image", targets)
        item: dict[str, Any] = {} if key is None else {"image": data[key]}
        size = _size(results) or _file_size(item.get("image"))
        if size is not None:
            item["width"], item["height"] = size
        return item

    def decode(self, results: Sequence[Result], companions: Sequence[Result], item: Mapping[str, Any]) -> Any:
        boxes = []
        for i, result in results:
            where = f"result[{i}]"
            value = result.get("value")
            labels = _labels_of(value, "rectanglelabels", f"{where}.value")
            width, height = result.get("original_width"), result.get("original_height")
            if not (_positive(width) and _positive(height)):
                raise FieldError(
                    f"{where}.original_width", f"the image size is needed, got {width!r}×{height!r}"
                )
            rotation = value.get("rotation") or 0
            if not isinstance(rotation, (int, float)) or rotation % 360:
                raise FieldError(
                    f"{where}.value.rotation", f"rotated boxes are not supported (rotation {rotation!r})"
                )
            numbers = []
            for name in ("x", "y", "width", "height"):
                number = value.get(name)
                if (
                    not isinstance(number, (int, float))
                    or isinstance(number, bool)
                    or not math.isfinite(number)
                ):
                    raise FieldError(f"{where}.value.{name}", f"expected a percentage, got {number!r}")
                numbers.append(float(number))
            x, y, w, h = numbers
            box = {"x": x * width / 100, "y": y * height / 100, "w": w * width / 100, "h": h * height / 100}
            for label in labels:
                boxes.append({**box, "label": label})
        return boxes

    def task_config(
        self, values: Sequence[Any], items: Sequence[Mapping[str, Any]], options: Mapping[str, Any]
    ) -> dict[str, Any]:
        return {}

    def labels(self, value: Any) -> list[Any]:
        return [box["label"] for box in value]

    def data(self, item: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
        return {"image": item.get("image", "")}

    def encode(
        self, value: Any, item: Mapping[str, Any], config: Mapping[str, Any], name: str, key: tuple[Any, ...]
    ) -> list[dict[str, Any]]:
        width, height = item.get("width"), item.get("height")
        if value and not (_positive(width) and _positive(height)):
            raise ValueError(
                f"item {key[0]!r} has no stored image size: its boxes cannot be written as percentages"
            )
        return [
            {
                "id": region_id(*key, n),
                "from_name": name,
                "to_name": "image",
                "type": "rectanglelabels",
                "origin": "manual",
                "original_width": int(width),
                "original_height": int(height),
                "image_rotation": 0,
                "value": {
                    "x": b["x"] * 100 / width,
                    "y": b["y"] * 100 / height,
                    "width": b["w"] * 100 / width,
                    "height": b["h"] * 100 / height,
                    "rotation": 0,
                    "rectanglelabels": [b["label"]],
                },
            }
            for n, b in enumerate(value or [])
        ]

    def label_config(
        self, labels: Sequence[Any], config: Mapping[str, Any], name: str, items: Sequence[Mapping[str, Any]]
    ) -> str:
        return (
            f'<View>\n  <Image name="image" value="$image"/>\n  <RectangleLabels name={quoteattr(name)} '
            f'toName="image">\n{_xml_labels("Label", labels)}  </RectangleLabels>\n</View>\n'
        )


def _size(results: Iterable[Mapping[str, Any]]) -> tuple[int, int] | None:
    """The image size results give (``original_width``/``original_height``)."""
    for result in results:
        width, height = result.get("original_width"), result.get("original_height")
        if _positive(width) and _positive(height):
            return int(width), int(height)
    return None


def _file_size(image: Any) -> tuple[int, int] | None:
    """The size of a local image file (an item none of whose results gives it), else ``None``."""
    if not isinstance(image, str) or "://" in image:
        return None
    path = Path(image).expanduser()
    if not path.is_file():
        return None
    try:
        with Image.open(path) as img:
            width, height = img.size
            turned = img.getexif().get(0x0112, 1) in (5, 6, 7, 8)  # EXIF orientation: a quarter turn
        return (height, width) if turned else (width, height)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def _positive(value: Any) -> bool:
    return (
        isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    )


# ---------------------------------------------------------------------- pairwise → compare
class PairwiseCodec(_Codec):
    """``pairwise`` ⇄ compare: ``selected: "left"`` is ``A`` (the first of the pair), ``"right"``
    is ``B``. Label Studio's Pairwise tag has no tie; nblabel writes what it cannot hold as
    controls named after the pairwise one, which it reads back: ``<name>_outcome`` (choices
    ``tie`` / ``both_bad``), ``<name>_strength`` (choices ``slightly`` / ``clearly``),
    ``<name>_justification`` (textarea) and ``<name>_rubric_<dimension>_<A|B>`` (rating 1-5).
    The pair's texts are the data fields ``a_field=``/``b_field=`` (default: the first two text
    fields of ``data``), the prompt ``prompt_field=`` (default: a field named ``prompt``)."""

    result_types = ("pairwise",)
    control = "Pairwise"
    STRENGTHS = ("slightly", "clearly")

    def __init__(self, choices: Sequence[str]) -> None:
        #: The compare kind's choices (its label set).
        self.choices = list(choices)

    def companions(self, name: str, names: Iterable[str]) -> set[str]:
        return {n for n in names if n.startswith(f"{name}_")}

    def item(
        self,
        data: Mapping[str, Any],
        targets: Sequence[str],
        fields: Fields,
        results: Sequence[Mapping[str, Any]],
    ) -> dict[str, Any]:
        prompt_key = fields.options.get("prompt_field") or ("prompt" if "prompt" in data else None)
        a_key, b_key = fields.options.get("a_field"), fields.options.get("b_field")
        if a_key is None or b_key is None:
            texts = [k for k in fields.text_keys(data) if k != prompt_key and k not in (a_key, b_key)]
            a_key = a_key or (texts.pop(0) if texts else None)
            b_key = b_key or (texts.pop(0) if texts else None)
        if a_key is None or b_key is None:
            raise FieldError(
                "data", f"two response fields are needed (fields: {list(data)}); pass a_field=, b_field="
            )
        item = {}
        for role, key in (("a", a_key), ("b", b_key), ("prompt", prompt_key)):
            if key is not None:
                if key not in data:
                    raise FieldError(f"data.{key}", f"no such field; fields: {list(data)}")
                item[role] = data[key]
        item["_fields"] = (a_key, b_key)
        return item

    def decode(self, results: Sequence[Result], companions: Sequence[Result], item: Mapping[str, Any]) -> Any:
        value: dict[str, Any] = {}
        for i, result in results:
            selected = (
                (result.get("value") or {}).get("selected")
                if isinstance(result.get("value"), dict)
                else None
            )
            if selected not in ("left", "right"):
                raise FieldError(
                    f"result[{i}].value.selected", f"expected 'left' or 'right', got {selected!r}"
                )
            value["choice"] = "A" if selected == "left" else "B"
        rubric: dict[str, dict[str, int]] = {}
        for i, result in companions:
            name, rvalue = str(result.get("from_name")), result.get("value") or {}
            suffix = name.split("_", 1)[1] if "_" in name else ""
            where = f"result[{i}].value"
            if suffix == "outcome":
                (outcome,) = _labels_of(rvalue, "choices", where)[:1]
                if outcome not in ("tie", "both_bad"):
                    raise FieldError(f"{where}.choices", f"expected 'tie' or 'both_bad', got {outcome!r}")
                value["choice"] = outcome
            elif suffix == "strength":
                (strength,) = _labels_of(rvalue, "choices", where)[:1]
                if strength not in self.STRENGTHS:
                    raise FieldError(
                        f"{where}.choices", f"expected one of {self.STRENGTHS}, got {strength!r}"
                    )
                value["strength"] = self.STRENGTHS.index(strength) + 1
            elif suffix == "justification":
                texts = rvalue.get("text") if isinstance(rvalue, dict) else None
                if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
                    raise FieldError(f"{where}.text", f"expected a list of texts, got {texts!r}")
                value["justification"] = "\n".join(texts)
            elif suffix.startswith("rubric_") and suffix[-2:] in ("_A", "_B"):
                score = rvalue.get("rating") if isinstance(rvalue, dict) else None
                rubric.setdefault(suffix[len("rubric_") : -2], {})[suffix[-1]] = score
        if rubric:
            value["rubric"] = rubric
        if "choice" not in value:
            return NOTHING
        if value["choice"] not in ("A", "B"):
            value.pop("strength", None)
        return value

    def task_config(
        self, values: Sequence[Any], items: Sequence[Mapping[str, Any]], options: Mapping[str, Any]
    ) -> dict[str, Any]:
        rubric = _first_seen(d for v in values for d in (v.get("rubric") or {}))
        a, b = next((i["_fields"] for i in items if "_fields" in i), ("a", "b"))
        return {"a": a, "b": b, "rubric": rubric}

    def task_labels(self, values: Sequence[Any]) -> list[Any]:
        return list(self.choices)

    def labels(self, value: Any) -> list[Any]:
        return [value["choice"]]

    def data(self, item: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any]:
        a, b = _pair_names(config)
        data = {a: item.get("a", ""), b: item.get("b", "")}
        if "prompt" in item:
            data["prompt"] = item["prompt"]
        return data

    def encode(
        self, value: Any, item: Mapping[str, Any], config: Mapping[str, Any], name: str, key: tuple[Any, ...]
    ) -> list[dict[str, Any]]:
        a, _b = _pair_names(config)
        choice = value.get("choice")

        def result(suffix: str, kind: str, content: dict[str, Any], to: str = a) -> dict[str, Any]:
            return {
                "id": region_id(*key, suffix),
                "from_name": f"{name}_{suffix}" if suffix else name,
                "to_name": to,
                "type": kind,
                "origin": "manual",
                "value": content,
            }

        if choice in ("A", "B"):
            out = [result("", "pairwise", {"selected": "left" if choice == "A" else "right"}, to=name)]
            strength = value.get("strength") or 1
            out.append(result("strength", "choices", {"choices": [self.STRENGTHS[int(strength) - 1]]}))
        else:
            out = [result("outcome", "choices", {"choices": [choice]})]
        if value.get("justification"):
            out.append(result("justification", "textarea", {"text": [value["justification"]]}))
        for dimension, scores in (value.get("rubric") or {}).items():
            for side, score in scores.items():
                out.append(result(f"rubric_{dimension}_{side}", "rating", {"rating": score}))
        return out

    def label_config(
        self, labels: Sequence[Any], config: Mapping[str, Any], name: str, items: Sequence[Mapping[str, Any]]
    ) -> str:
        a, b = _pair_names(config)
        qa, qb = quoteattr(a), quoteattr(b)
        prompt = '  <Text name="prompt" value="$prompt"/>\n' if any("prompt" in i for i in items) else ""
        rubric = "".join(
            f"  <Rating name={quoteattr(f'{name}_rubric_{d}_{side}')} toName={qa if side == 'A' else qb} "
            'maxRating="5"/>\n'
            for d in config.get("rubric") or []
            for side in ("A", "B")
        )
        return (
            f"<View>\n{prompt}  <Pairwise name={quoteattr(name)} toName={quoteattr(f'{a},{b}')}/>\n"
            f"  <Text name={qa} value={quoteattr('$' + a)}/>\n"
            f"  <Text name={qb} value={quoteattr('$' + b)}/>\n"
            f"  <Choices name={quoteattr(name + '_outcome')} toName={qa}>\n"
            '    <Choice value="tie"/>\n    <Choice value="both_bad"/>\n  </Choices>\n'
            f"  <Choices name={quoteattr(name + '_strength')} toName={qa}>\n"
            '    <Choice value="slightly"/>\n    <Choice value="clearly"/>\n  </Choices>\n'
            f"  <TextArea name={quoteattr(name + '_justification')} toName={qa}/>\n{rubric}</View>\n"
        )


def _pair_names(config: Mapping[str, Any]) -> tuple[str, str]:
    a, b = config.get("a") or "a", config.get("b") or "b"
    return (str(a), str(b)) if a != b else ("a", "b")
