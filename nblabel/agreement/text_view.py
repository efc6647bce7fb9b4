"""What the live dashboard shows of written answers (``nl.Text``): the coefficients of
:mod:`nblabel.agreement.text`, the annotators' similarity to the reference, and — in place of
a confusion matrix, which texts do not have — how alike two sides' texts are, item by item, in
similarity bands (one row: the pair of sides; a click lists the items of a band with both texts).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .text import OTHERS, TextData, TextPairs, similarity_to, text_coefficients, text_per_annotator
from .views import TableColumns, coefficient_row, number

__all__ = ["BANDS", "TextView", "band_of"]

#: The similarity bands of the dashboard's strip: (name, lowest similarity in the band).
BANDS = [("identical", 1.0), ("≥ 0.9", 0.9), ("0.7 – 0.9", 0.7), ("0.5 – 0.7", 0.5), ("< 0.5", -math.inf)]
#: The one row of the strip (the pair of sides chosen).
PAIR_ROW = "items written by both"


def band_of(similarity: np.ndarray) -> np.ndarray:
    """The band (index into :data:`BANDS`) of each similarity."""
    lows = np.array([low for _, low in BANDS])
    return (
        np.argmax(similarity[:, None] >= lows[None, :], axis=1) if len(similarity) else np.zeros(0, np.intp)
    )


@dataclass
class TextView(TableColumns):
    """A live view of texts (:class:`~nblabel.core.registry.LiveView`): ``data`` prepared by
    :func:`~nblabel.agreement.text.prepare_texts`. There is no majority of texts."""

    data: TextData
    can_majority: bool = False
    annotators: list[Any] = field(init=False)
    _pairs: TextPairs = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.table = self.data.texts
        self.annotators = list(self.table.columns)
        self._pairs = TextPairs.of(self.table)

    def majority(self, exclude: Any | None) -> pd.Series:
        raise ValueError("texts have no majority: compare an annotator with another, or with gold")

    # -------------------------------------------------------------- summary
    def summary(self) -> dict[str, Any]:
        """The snapshot fields of the task (the strip of one pair is added by the caller)."""
        data, pairs = self.data, self._pairs
        rows = text_coefficients(data, n_boot=0, level=0.95, seed=0, pairs=pairs)
        people = text_per_annotator(data, pairs)
        n = data.texts.notna().sum(axis=1).to_numpy()
        differ = np.bincount(pairs.item, weights=(~pairs.identical).astype(float), minlength=len(n)) > 0
        return {
            "empty": False,
            "multi": False,
            "labels": [],
            "annotators": [str(a) for a in data.texts.columns],
            "has_gold": data.gold is not None,
            "reference": "gold" if data.gold is not None else OTHERS,
            "items": int(len(n)),
            "shared": int((n >= 2).sum()),
            "ratings": int(n.sum()),
            "disagreements": int(differ.sum()),
            "coefficients": [coefficient_row(r) for r in rows],
            "agreement_name": "similarity",
            "per_annotator": [
                {
                    "annotator": str(a),
                    "items": int(row["items"]),
                    "skipped": int(row["skipped"]),
                    "flagged": int(row["flagged"]),
                    "accuracy": number(row["identical_reference"]),
                    "agreement": number(row["similarity_reference"]),
                    "n_reference": int(row["n_reference"]),
                    "items_per_hour": number(row["items_per_hour"]),
                    "median_active_ms": number(row["median_active_ms"]),
                }
                for a, row in people.iterrows()
            ],
            "label_columns": [],
            "per_label": [],
        }

    def intervals(self, n_boot: int = 200, level: float = 0.95, seed: int | None = 0) -> dict[str, list[Any]]:
        """Bootstrap confidence intervals by coefficient key (none under two annotators)."""
        if len(self._pairs) == 0:
            return {}
        rows = text_coefficients(self.data, n_boot=n_boot, level=level, seed=seed, pairs=self._pairs)
        return {r[0]: [number(r[3]), number(r[4])] for r in rows}

    # -------------------------------------------------------------- the strip
    def _bands(self, a: pd.Series, b: pd.Series) -> tuple[pd.Index, np.ndarray, np.ndarray]:
        ids, similarity, _identical = similarity_to(a, b)
        return ids, similarity, band_of(similarity)

    def confusion(self, a: pd.Series, b: pd.Series) -> dict[str, Any]:
        """How many items the two sides wrote texts for fall in each similarity band: one row
        (``row_categories``) of :data:`BANDS`."""
        _ids, _similarity, bands = self._bands(a, b)
        counts = np.bincount(bands, minlength=len(BANDS)) if len(bands) else np.zeros(len(BANDS), np.int64)
        return {
            "categories": [name for name, _ in BANDS],
            "codes": list(range(len(BANDS))),
            "row_categories": [PAIR_ROW],
            "row_codes": [0],
            "counts": [counts.astype(int).tolist()],
            "total": int(counts.sum()),
            "agree": int(counts[0]),
            "unit": "texts",
            "category_kind": "similarity bands",
        }

    def cell_items(
        self,
        a: pd.Series,
        b: pd.Series,
        row_code: int,
        col_code: int,
        texts: pd.Series | None,
        *,
        majority: bool,
    ) -> pd.DataFrame:
        """The items of one band: their source text, every annotator's text (and gold's), and
        ``similarity`` of the two sides; least alike first."""
        if row_code != 0 or not 0 <= col_code < len(BANDS):
            raise ValueError(f"no cell ({row_code}, {col_code}) in the similarity strip")
        ids, similarity, bands = self._bands(a, b)
        chosen = bands == col_code
        order = np.argsort(similarity[chosen], kind="stable")
        ids, similarity = ids[chosen][order], similarity[chosen][order]
        table = pd.DataFrame(index=pd.Index(ids, name="item_id"))
        if texts is not None:
            table["text"] = texts.reindex(ids).to_numpy(dtype=object) if len(ids) else []
        for annotator in self.data.texts.columns:
            table[str(annotator)] = self.data.texts[annotator].reindex(ids).to_numpy(dtype=object)
        if self.data.gold is not None:
            table["gold"] = self.data.gold.reindex(ids).to_numpy(dtype=object)
        table["similarity"] = [f"{s:.3f}" for s in similarity]
        return table
