"""Shared fixtures for the unit, property and store tests (no kernel: ipywidgets' dummy comm)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

import nblabel as nl

#: Backends the store suite runs on. PostgreSQL joins when its server fixture exists: add
#: ``"postgresql"`` here and a branch in ``_store_url`` that starts/points at a server.
STORE_BACKENDS = ["sqlite"]


def _store_url(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    raise NotImplementedError(backend)  # pragma: no cover


@pytest.fixture(params=STORE_BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty store on each backend."""
    return _store_url(request.param, tmp_path)


@pytest.fixture
def store(store_url: str):
    """An empty store on each backend."""
    s = nl.Store(store_url)
    yield s
    s.close()


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "labels.db"


@pytest.fixture
def texts() -> pd.DataFrame:
    return pd.DataFrame(
        {"review": ["great", "awful", "meh", "fine", "bad", "good"]},
        index=pd.Index([101, 102, 103, 104, 105, 106], name="rid"),
    )


@pytest.fixture
def make_classify(tmp_path: Path):
    """Build a Classify on a tmp SQLite store (same file for every widget of one test)."""
    default_store = tmp_path / "widgets.db"

    def make(df: pd.DataFrame, **kwargs) -> nl.Classify:
        kwargs.setdefault("labels", ["pos", "neg", "neu"])
        kwargs.setdefault("task", "t")
        kwargs.setdefault("annotator", "ana")
        kwargs.setdefault("store", os.fspath(default_store))
        if "text" not in kwargs and "image" not in kwargs:
            kwargs["text"] = df.columns[0]
        return nl.Classify(df, **kwargs)

    return make
