"""Suggestions from a model (issue 15): model annotators, the suggestion engine behind the
widgets' ``suggest=``, ``show_suggestions=``, ``nl.record_model`` and non-voting models."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

import nblabel as nl
from nblabel.core.event import Event
from nblabel.core.models import MODEL_PREFIX, is_model, model_annotator, model_name, people_only
from nblabel.store.schema import SCHEMA_VERSION


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


# ---------------------------------------------------------------------- the suggestion_shown column
def test_suggestion_shown_round_trips_as_nullable_boolean(store):
    store.register_task("t", "classify", ["pos", "neg"])
    for i, shown in enumerate((True, False, None)):
        store.append(Event(task="t", item_id=str(i), item_kind="int", annotator="ana", kind="label",
                           value="pos", suggestion="pos" if shown is not None else None,
                           suggestion_shown=shown, client_id="c", client_seq=i))  # fmt: skip
    ann = store.annotations("t")
    assert str(ann["suggestion_shown"].dtype) == "boolean"
    assert ann["suggestion_shown"].tolist() == [True, False, pd.NA]
    only = store.annotations("t", columns=["suggestion_shown"])
    assert only["suggestion_shown"].tolist() == [True, False, pd.NA]
    assert store.current("t")["suggestion_shown"].tolist() == [True, False, pd.NA]
    assert str(store.annotations("none")["suggestion_shown"].dtype) == "boolean"


def test_a_version_2_store_gets_the_column_in_place(store_url):
    store = nl.Store(store_url)
    store.register_task("t", "classify", ["pos", "neg"])
    store.append(Event(task="t", item_id="1", item_kind="int", annotator="ana", kind="label", value="pos",
                       suggestion="neg", client_id="c", client_seq=1))  # fmt: skip
    store.close()
    engine = sa.create_engine(store_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:  # back to what nblabel wrote before schema 3
        conn.exec_driver_sql("ALTER TABLE nbl_events DROP COLUMN suggestion_shown")
        conn.exec_driver_sql("UPDATE nbl_meta SET value = '2' WHERE key = 'schema_version'")
    engine.dispose()
    store = nl.Store(store_url)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT value FROM nbl_meta WHERE key = 'schema_version'").scalar() == str(SCHEMA_VERSION)
    old = store.annotations("t")
    assert old["value"].tolist() == ["pos"] and old["suggestion"].tolist() == ["neg"]
    assert old["suggestion_shown"].isna().all()
    store.append(Event(task="t", item_id="2", item_kind="int", annotator="ana", kind="label", value="neg",
                       suggestion="neg", suggestion_shown=False, client_id="c", client_seq=2))  # fmt: skip
    assert store.annotations("t")["suggestion_shown"].tolist() == [pd.NA, False]
    store.close()
    nl.Store(store_url).close()  # opening again changes nothing
