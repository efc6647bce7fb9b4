"""Model annotators: a model's suggestions and a judge's verdicts are stored as the events of an
annotator named ``model:<name>``. Such annotators are non-voting: majority, aggregation, final
labels, session answers, overlap and progress count people only (:func:`people_only`), while
agreement tables may still show a model beside the people for comparison."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = ["MODEL_PREFIX", "is_model", "model_annotator", "model_name", "people_only"]

#: The prefix of every model annotator's name.
MODEL_PREFIX = "model:"


def model_annotator(name: str) -> str:
    """The annotator name of the model ``name`` (``"model:<name>"``; a name already prefixed is
    kept as it is). Refuses a blank name."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"a model needs a non-blank name, got {name!r}")
    return name if name.startswith(MODEL_PREFIX) else MODEL_PREFIX + name


def model_name(annotator: str) -> str:
    """The model's own name of a model annotator (``"model:x"`` -> ``"x"``)."""
    return annotator[len(MODEL_PREFIX):] if is_model(annotator) else annotator


def is_model(annotator: Any) -> bool:
    """Whether ``annotator`` names a model (non-voting) rather than a person."""
    return isinstance(annotator, str) and annotator.startswith(MODEL_PREFIX)


def people_only(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without the rows of model annotators (the frame itself when it has none or no
    ``annotator`` column); keeps the frame's ``attrs`` (its recorded tasks)."""
    if frame is None or "annotator" not in getattr(frame, "columns", ()) or frame.empty:
        return frame
    models = frame["annotator"].astype("string").str.startswith(MODEL_PREFIX).fillna(False).to_numpy(bool)
    if not models.any():
        return frame
    kept = frame.loc[~models]
    kept.attrs = frame.attrs
    return kept
