"""Shared fixtures for the unit, property and store tests (no kernel: ipywidgets' dummy comm)."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

import nblabel as nl

#: Backends the store suite runs on: the same tests, once per backend.
STORE_BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def postgres():
    """A throw-away PostgreSQL server for the session (skipped, visibly, only outside CI)."""
    from pg_server import PostgresServer, pg_bin

    if pg_bin() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed; scripts/test.sh installs it")
        pytest.skip("PostgreSQL binaries not installed (run scripts/test.sh to install them)")
    server = PostgresServer()
    yield server
    server.stop()


@pytest.fixture(params=STORE_BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty store on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("postgres").new_database()


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
