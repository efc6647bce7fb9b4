"""Agreement of written answers (``nl.Text``): how alike the texts of the same item are.

The measure is RapidFuzz's normalised Levenshtein similarity, ``1 - d / max(len(a), len(b))``
where ``d`` is the edit distance in characters (Unicode code points: insertions, deletions and
substitutions, each costing 1), computed on the texts after :func:`normalize_text` (Unicode
NFC, every run of whitespace one space, none at either end). It is the normalised form of the
edit distance stored with each answer (:func:`edit_distance`), so agreement, gold scores and
edits to a draft are one measure; RapidFuzz's ``Indel`` similarity (``fuzz.ratio``) counts a
substituted character twice and divides by the sum of the lengths, which rewards texts that
share a long common subsequence in any proportion — a correction of a few words reads the
same on both, a rewrite of the same length reads higher on ``Indel``. Two texts *agree*
(unanimity, adjudication, "identical" below) when they are equal after normalisation.

Coefficients (not chance-corrected):

- ``text_similarity``: the mean over every pair of texts written for the same item (each pair
  of annotators of each item counts once) — so items with more annotators weigh more;
- ``text_identical``: the share of those pairs that are identical after normalisation.

Confidence intervals are percentile bootstraps over items (the same draw for every pair of an
item). Per annotator: the mean similarity with each other annotator, with the reference (gold
when given, else the other annotators' texts of the same items), the share identical to it,
and — for answers corrected from a draft — the mean edit distance to the draft, the mean
similarity to it and the share of drafts kept unchanged (read from the record each label
event keeps, see :mod:`nblabel.widgets.text`).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from ..core.frames import current_from_annotations, is_missing
from .report import (
    NOT_CHANCE_CORRECTED,
    UNDEFINED,
    AgreementReport,
    build_report,
    one_task,
    throughputs,
)
from .spans import bootstrap_pair_ratios, wide_values

__all__ = [
    "COEFFICIENTS",
    "TextData",
    "TextPairs",
    "edit_distance",
    "normalize_text",
    "prepare_texts",
    "text_report",
    "text_similarity",
    "texts_agree",
]

#: (key, name) of the report's rows.
COEFFICIENTS = [
    ("text_similarity", "mean pairwise similarity (normalised Levenshtein)"),
    ("text_identical", "identical texts (share of pairs, whitespace normalised)"),
]
#: What the report's ``reference`` is without gold: the other annotators' texts of each item.
OTHERS = "others"


# ---------------------------------------------------------------------- one pair of texts
def normalize_text(text: str) -> str:
    """``text`` as texts are compared: Unicode NFC, each run of whitespace (newlines too) one
    space, none at either end."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def text_similarity(a: str, b: str) -> float:
    """The similarity of two texts in [0, 1]: RapidFuzz's normalised Levenshtein similarity of
    their normalised forms (1: equal after :func:`normalize_text`; two empty texts are equal)."""
    return float(Levenshtein.normalized_similarity(normalize_text(a), normalize_text(b)))


def texts_agree(a: Any, b: Any) -> bool:
    """Whether two texts are equal after :func:`normalize_text` (non-texts never agree)."""
    return isinstance(a, str) and isinstance(b, str) and normalize_text(a) == normalize_text(b)


def edit_distance(a: str, b: str) -> int:
    """The Levenshtein distance between two texts as they are (no normalisation): characters
    (code points) inserted, deleted or substituted to turn one into the other."""
    return int(Levenshtein.distance(a, b))


# ---------------------------------------------------------------------- prepared texts
@dataclass
class TextData:
    """Standing texts: items x annotators, each cell a text or ``None``; gold texts by item;
    the label events (timing), skips and flags per annotator; and the record of each standing
    answer's edit of its draft (``item_id, annotator, edit_distance, similarity``)."""

    texts: pd.DataFrame
    gold: pd.Series | None = None
    events: pd.DataFrame | None = None
    skipped: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))
    flagged: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))
    edits: pd.DataFrame | None = None

    @property
    def annotators(self) -> list[Any]:
        return list(self.texts.columns)

    @property
    def codes(self) -> pd.DataFrame:
        """The items x annotators table (named as the other families name it)."""
        return self.texts


def prepare_texts(annotations: pd.DataFrame, gold: Any = None, *, task: str | None = None) -> TextData:
    """Texts per (item, annotator) from a long store frame (or a wide items x annotators frame
    of texts), with gold (a Series or mapping of texts by item id, or an annotator's name)."""
    if not isinstance(annotations, pd.DataFrame):
        raise TypeError(
            f"annotations must be a DataFrame (store.annotations(task) or a wide items x annotators "
            f"table of texts), got {type(annotations).__name__}"
        )
    edits = None
    if {"item_id", "annotator", "value"} <= set(annotations.columns):
        annotations = one_task(annotations, task)
        edits = _draft_edits(annotations)
    wide, gold_texts, events, skipped, flagged = wide_values(annotations, gold)
    if len(wide.columns):
        wide = wide.dropna(how="all")
    _check_texts(wide)
    if gold_texts is not None:
        gold_texts = gold_texts[[not is_missing(v) for v in gold_texts]]
        for item, value in gold_texts.items():
            if not isinstance(value, str):
                raise TypeError(
                    f"gold of item {item!r} must be a text, got {type(value).__name__}: {value!r}"
                )
    wide.index.name, wide.columns.name = "item_id", "annotator"
    return TextData(wide, gold_texts, events, skipped, flagged, edits)


def _check_texts(wide: pd.DataFrame) -> None:
    for annotator in wide.columns:
        for item, value in wide[annotator].items():
            if value is not None and not isinstance(value, str):
                raise TypeError(
                    f"item {item!r}, annotator {annotator!r}: a text task's value is a text, got "
                    f"{type(value).__name__} {value!r} (is this a text task? pass kind= to agreement_report)"
                )


def _draft_edits(frame: pd.DataFrame) -> pd.DataFrame | None:
    """The draft record of each standing answer (``None`` when no event carries one)."""
    if "suggestion" not in frame.columns or not {"id", "kind"} <= set(frame.columns):
        return None
    current = current_from_annotations(frame)
    current = current[current["kind"] == "label"]
    rows = [
        (item, annotator, record.get("edit_distance"), record.get("similarity"))
        for item, annotator, record in zip(
            current["item_id"], current["annotator"], current["suggestion"], strict=True
        )  # fmt: skip
        if isinstance(record, Mapping) and isinstance(record.get("edit_distance"), int)
    ]
    if not rows:
        return None
    edits = pd.DataFrame(rows, columns=["item_id", "annotator", "edit_distance", "similarity"])
    edits["similarity"] = pd.to_numeric(edits["similarity"], errors="coerce")
    return edits


# ---------------------------------------------------------------------- pairs of texts
@dataclass
class TextPairs:
    """Every pair of texts of the same item: the item's position in ``texts.index``, the two
    annotators' column positions (``a < b``), their similarity and whether they agree."""

    item: np.ndarray
    a: np.ndarray
    b: np.ndarray
    similarity: np.ndarray
    identical: np.ndarray

    @classmethod
    def of(cls, texts: pd.DataFrame) -> TextPairs:
        """The pairs of ``texts`` (items x annotators), scored in one RapidFuzz call."""
        cells = texts.to_numpy(dtype=object)
        normal: dict[str, str] = {}
        item, a, b, left, right = [], [], [], [], []
        for i, row in enumerate(cells):
            present = [j for j, v in enumerate(row) if v is not None]
            for x, j in enumerate(present):
                for k in present[x + 1 :]:
                    item.append(i)
                    a.append(j)
                    b.append(k)
                    left.append(_normal(row[j], normal))
                    right.append(_normal(row[k], normal))
        similarity = _similarities(left, right)
        identical = np.fromiter(
            (x == y for x, y in zip(left, right, strict=True)), dtype=bool, count=len(left)
        )
        positions = [np.asarray(x, dtype=np.intp) for x in (item, a, b)]
        return cls(*positions, similarity, identical)

    def __len__(self) -> int:
        return len(self.item)

    def between(self, j: int, k: int) -> np.ndarray:
        """Which pairs are those of annotators ``j`` and ``k`` (either order)."""
        return ((self.a == j) & (self.b == k)) | ((self.a == k) & (self.b == j))

    def involving(self, j: int) -> np.ndarray:
        """Which pairs include annotator ``j``."""
        return (self.a == j) | (self.b == j)


def _normal(text: str, cache: dict[str, str]) -> str:
    found = cache.get(text)
    if found is None:
        found = cache[text] = normalize_text(text)
    return found


def _similarities(left: list[str], right: list[str]) -> np.ndarray:
    """Element-wise similarity of two equally long lists of normalised texts."""
    if not left:
        return np.zeros(0)
    return np.asarray(
        process.cpdist(left, right, scorer=Levenshtein.normalized_similarity, dtype=np.float64, workers=1),
        dtype=np.float64,
    )


def similarity_to(texts: pd.Series, reference: pd.Series) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """Over the items both have a text in: their ids, the similarity of each text to the
    reference and whether they are identical after normalisation."""
    both = texts.notna() & reference.reindex(texts.index).notna()
    ids = texts.index[both.to_numpy()]
    cache: dict[str, str] = {}
    left = [_normal(v, cache) for v in texts[both]]
    right = [_normal(v, cache) for v in reference.reindex(ids)]
    identical = np.fromiter((x == y for x, y in zip(left, right, strict=True)), dtype=bool, count=len(left))
    return ids, _similarities(left, right), identical


# ---------------------------------------------------------------------- coefficients
def text_coefficients(
    data: TextData, *, n_boot: int, level: float, seed: int | None, pairs: TextPairs | None = None
) -> list[list[Any]]:
    """The report's rows (the layout of ``REPORT_COLUMNS``): mean pairwise similarity and the
    share of identical pairs, with percentile bootstrap intervals over items."""
    pairs = TextPairs.of(data.texts) if pairs is None else pairs
    n_items = int(len(np.unique(pairs.item)))
    n_annotators = int(len(np.unique(np.concatenate([pairs.a, pairs.b])))) if len(pairs) else 0
    rows = []
    for (key, name), per_pair in zip(
        COEFFICIENTS, (pairs.similarity, pairs.identical.astype(float)), strict=True
    ):
        if not len(pairs):
            rows.append([key, name, math.nan, math.nan, math.nan, 0, n_annotators, UNDEFINED,
                         "needs texts from at least two annotators of the same item"])  # fmt: skip
            continue
        value = float(per_pair.mean())
        low = high = math.nan
        if n_boot > 0:
            low, high = bootstrap_items(pairs.item, per_pair, len(data.texts), n_boot, level, seed)
        rows.append([key, name, value, low, high, n_items, n_annotators, NOT_CHANCE_CORRECTED, ""])
    return rows


def bootstrap_items(
    item: np.ndarray, per_pair: np.ndarray, n_items: int, n_boot: int, level: float, seed: int | None
) -> tuple[float, float]:
    """Percentile interval of the mean of ``per_pair`` over pairs, resampling items (a pair is
    drawn with its item: ``item`` holds each pair's item position among ``n_items``)."""
    sums = np.bincount(item, weights=per_pair, minlength=n_items)
    counts = np.bincount(item, minlength=n_items).astype(float)
    rated = counts > 0  # the units resampled: items with at least one pair
    ids = pd.RangeIndex(int(rated.sum()))
    return bootstrap_pair_ratios([(ids, sums[rated], counts[rated])], ids, n_boot, level, seed)


# ---------------------------------------------------------------------- tables
def text_per_annotator(data: TextData, pairs: TextPairs | None = None) -> pd.DataFrame:
    """One row per annotator: items written, skipped, flagged; mean similarity with each other
    annotator (``similarity_with_<other>``); with the reference (gold, or the others' texts of
    the same items: ``similarity_reference``, ``identical_reference``, ``n_reference``); edits
    of the drafts (``edit_distance_draft``, ``similarity_draft``, ``kept_draft``: means over
    the answers that started from a draft); throughput."""
    pairs = TextPairs.of(data.texts) if pairs is None else pairs
    names = data.annotators
    throughput = throughputs(data.events)
    rows = []
    for j, name in enumerate(names):
        row: dict[str, Any] = {
            "annotator": name,
            "items": int(data.texts[name].notna().sum()),
            "skipped": int(data.skipped.get(name, 0)),
            "flagged": int(data.flagged.get(name, 0)),
        }
        for k, other in enumerate(names):
            shared = pairs.between(j, k) if j != k else np.zeros(len(pairs), dtype=bool)
            row[f"similarity_with_{other}"] = (
                float(pairs.similarity[shared].mean()) if shared.any() else math.nan
            )
        if data.gold is not None:
            _ids, similarity, identical = similarity_to(data.texts[name], data.gold)
            row["reference"] = "gold"
        else:
            mine = pairs.involving(j)
            similarity, identical = pairs.similarity[mine], pairs.identical[mine]
            row["reference"] = OTHERS
        row["n_reference"] = int(len(similarity))
        row["similarity_reference"] = float(similarity.mean()) if len(similarity) else math.nan
        row["identical_reference"] = float(identical.mean()) if len(identical) else math.nan
        row.update(_draft_columns(data.edits, name))
        row.update(throughput.get(name, {"items_per_hour": math.nan, "median_active_ms": math.nan}))
        rows.append(row)
    columns = ["items", "skipped", "flagged", *[f"similarity_with_{b}" for b in names], "reference",
               "n_reference", "similarity_reference", "identical_reference", "edit_distance_draft",
               "similarity_draft", "kept_draft", "items_per_hour", "median_active_ms"]  # fmt: skip
    table = pd.DataFrame(rows, columns=["annotator", *columns]).set_index("annotator")
    for col in ("items", "skipped", "flagged", "n_reference"):
        table[col] = table[col].astype("int64")
    return table


def _draft_columns(edits: pd.DataFrame | None, name: Any) -> dict[str, float]:
    mine = edits[edits["annotator"] == name] if edits is not None else None
    if mine is None or not len(mine):
        return {"edit_distance_draft": math.nan, "similarity_draft": math.nan, "kept_draft": math.nan}
    distance = mine["edit_distance"].to_numpy(dtype=float)
    return {
        "edit_distance_draft": float(distance.mean()),
        "similarity_draft": float(mine["similarity"].mean()),
        "kept_draft": float((distance == 0).mean()),
    }


def text_disagreements(data: TextData, pairs: TextPairs | None = None) -> pd.DataFrame:
    """One row per item whose texts are not all identical (after normalisation): each
    annotator's text, the gold (when given), the number of texts and ``agreement``, the mean
    pairwise similarity on the item; in item order."""
    pairs = TextPairs.of(data.texts) if pairs is None else pairs
    n = len(data.texts)
    differ = np.bincount(pairs.item, weights=(~pairs.identical).astype(float), minlength=n) > 0
    sums = np.bincount(pairs.item, weights=pairs.similarity, minlength=n)
    counts = np.bincount(pairs.item, minlength=n)
    subset = data.texts[differ]
    fixed = {"gold", "n_ratings", "agreement"}
    table = pd.DataFrame(
        {f"{a} (annotator)" if a in fixed else a: subset[a] for a in subset.columns}, index=subset.index,
        dtype=object,
    )  # fmt: skip
    if data.gold is not None:
        table["gold"] = pd.Series(data.gold.reindex(subset.index), index=subset.index, dtype=object)
    table["n_ratings"] = subset.notna().sum(axis=1).astype("int64")
    with np.errstate(invalid="ignore", divide="ignore"):
        table["agreement"] = (sums / counts)[differ]
    table.index.name = "item_id"
    table.columns.name = None
    return table


def text_report(
    annotations: pd.DataFrame,
    gold: Any = None,
    *,
    task: str | None = None,
    n_boot: int = 200,
    level: float = 0.95,
    seed: int | None = 0,
) -> AgreementReport:
    """The agreement report of a text task (see the module's docstring). ``per_label`` is
    empty: a written answer has no labels."""
    data = prepare_texts(annotations, gold, task=task)
    pairs = TextPairs.of(data.texts)
    return build_report(
        text_coefficients(data, n_boot=n_boot, level=level, seed=seed, pairs=pairs),
        per_label=pd.DataFrame(columns=["count"]).rename_axis("label"),
        per_annotator=text_per_annotator(data, pairs),
        disagreements=text_disagreements(data, pairs),
        task_kind="text",
        reference="gold" if data.gold is not None else OTHERS,
        level=level,
    )
