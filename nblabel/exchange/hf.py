"""``format="hf"``: a Hugging Face ``datasets`` dataset of any task, written by
``store.export(task, folder, format="hf")`` (:mod:`nblabel.exports.hf_task`: one row per item
with each annotator's raw value, the final label and per-item agreement; the dataset card as
the folder's ``README.md``). Written only: a dataset is not read back as a task."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..exports.hf_task import export_hf

__all__ = ["HF", "HuggingFaceFormat"]


class HuggingFaceFormat:
    """The ``hf`` file format: a folder ``datasets.load_from_disk`` reads (write only)."""

    name = "hf"
    description = (
        "a Hugging Face datasets folder (datasets.load_from_disk) with its dataset card as README.md"
    )

    def read(self, path: Path, **options: Any) -> Any:
        """Refused: nblabel writes ``hf`` datasets, it does not import them."""
        raise ValueError(
            f"{path}: format 'hf' is written by store.export, not imported; import the labels from the "
            "tool that made them (label-studio, prodigy, doccano) or with store.import_annotations"
        )

    def write(
        self, store: Any, task: str, path: Path, *, values: pd.DataFrame | None = None, **options: Any
    ) -> Path:
        """The dataset of ``task`` in the folder ``path`` (``values``: the final labels, one per
        item); ``n_boot=`` sets the bootstrap resamples of the card's intervals (default 200)."""
        unknown = sorted(set(options) - {"n_boot"})
        if unknown:
            raise TypeError(f"export options {unknown} do not apply to format='hf' (it takes n_boot=)")
        return export_hf(store, task, Path(path), values=values, **options)


#: The registered ``hf`` format.
HF = HuggingFaceFormat()
