"""Suggestions from a model (issue 15): model annotators, the suggestion engine behind the
widgets' ``suggest=``, ``show_suggestions=``, ``nl.record_model`` and non-voting models."""

from __future__ import annotations

import pandas as pd
import pytest

from nblabel.core.models import MODEL_PREFIX, is_model, model_annotator, model_name, people_only


def test_model_annotator_names():
    assert MODEL_PREFIX == "model:"
    assert model_annotator("clf") == "model:clf"
    assert model_annotator("model:clf") == "model:clf"
    assert model_name("model:clf") == "clf"
    assert is_model("model:clf") and not is_model("ann") and not is_model(None)
    with pytest.raises(ValueError, match="non-blank"):
        model_annotator("  ")


def test_people_only_drops_model_rows_and_keeps_attrs():
    frame = pd.DataFrame({"annotator": ["ann", "model:clf", "bob"], "value": [1, 2, 3]})
    frame.attrs["x"] = 1
    kept = people_only(frame)
    assert list(kept["annotator"]) == ["ann", "bob"]
    assert kept.attrs == {"x": 1}
    people = frame.iloc[[0, 2]]
    assert people_only(people) is people
