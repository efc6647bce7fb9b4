"""The file under a SQLite store: what makes a path unusable as one (said for a person, before
any SQL runs or after SQLite refused the file), and the file's identity on disk."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL

from .errors import StoreAccessError

__all__ = [
    "DEFAULT_FILENAME", "READ_ONLY", "SQLITE_HEADER", "check_path", "file_errors", "file_identity",
    "path_problem",
]  # fmt: skip

#: The store a widget uses without ``store=``: this file in the working directory.
DEFAULT_FILENAME = "nblabel.db"
#: The first bytes of every SQLite database file.
SQLITE_HEADER = b"SQLite format 3\x00"
#: What a file that is not a SQLite database looks like, by its first bytes.
_LOOKALIKES = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (an .xlsx, .docx or .zip file)"),
    (b"PAR1", "a Parquet file"),
    (b"\x1f\x8b", "a gzip file"),
)
READ_ONLY = "nblabel needs write access to the file and its folder"


def path_problem(path: Path, *, read_header: bool = False) -> str | None:
    """What makes ``path`` unusable as a SQLite store, said for a person, or ``None``.

    The file's first bytes are read only when ``read_header`` (after SQLite itself said the
    file is not a database): closing any descriptor of a file drops every POSIX lock this
    process holds on it, including the locks of SQLite connections already open there.
    """
    if path.is_dir():
        return f"is a directory, not a SQLite file: give a file path (such as {path / DEFAULT_FILENAME})"
    folder = path.parent
    if not path.exists():
        if folder.is_dir() and not _can(folder, os.W_OK | os.X_OK):
            return f"cannot be created: its folder {folder} is read-only ({READ_ONLY})"
        return None
    if not _can(path, os.R_OK):
        return "cannot be read (permission denied)"
    head = b""
    if read_header:
        try:
            with open(path, "rb") as f:
                head = f.read(len(SQLITE_HEADER))
        except OSError as exc:
            return f"cannot be read ({exc.strerror or exc})"
    if head and not SQLITE_HEADER.startswith(head) and not head.startswith(SQLITE_HEADER):
        return "is not a SQLite database" + _looks_like(head)
    if not _can(path, os.W_OK):
        return f"is read-only: {READ_ONLY}"
    if not _can(folder, os.W_OK | os.X_OK):
        # WAL mode keeps -wal and -shm files beside the database; they must exist and be
        # writable, or the folder must let SQLite create them.
        sidecars = [Path(f"{path}-wal"), Path(f"{path}-shm")]
        if not all(p.exists() and _can(p, os.R_OK | os.W_OK) for p in sidecars):
            return f"cannot be written: its folder {folder} is read-only ({READ_ONLY})"
    return None


def _looks_like(head: bytes) -> str:
    """`` (it looks like a PNG image)`` for a file that is not a database, by its first bytes
    (empty when they say nothing)."""
    looks = next((what for magic, what in _LOOKALIKES if head.startswith(magic)), None)
    if looks is None and b"\x00" not in head:
        try:
            head.decode("utf-8")
            looks = "a text file"
        except UnicodeDecodeError:
            pass
    return f" (it looks like {looks})" if looks else ""


def _can(path: Path, mode: int) -> bool:
    effective = os.access in os.supports_effective_ids
    return os.access(path, mode, effective_ids=effective)


def check_path(path: Path) -> None:
    """Refuse a path that cannot be a SQLite store, before any SQL runs."""
    problem = path_problem(path)
    if problem is not None:
        raise StoreAccessError(f"the store {path} {problem}")


def file_identity(url: URL) -> tuple[int, int] | None:
    """``(device, inode)`` of a SQLite store's file, ``None`` if the path names no file."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    try:
        st = os.stat(database)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


#: SQLite errors that mean "this file cannot serve as a store" (lower case) and what they mean.
_SQLITE_FILE_ERRORS = (
    ("file is not a database", "is not a SQLite database, or is damaged"),
    ("malformed", "is a damaged SQLite database: restore it from a backup"),
    ("readonly database", f"is read-only: {READ_ONLY}"),
    ("unable to open database file", "cannot be opened"),
)


def file_errors(path: Path) -> Callable[[Any], BaseException | None]:
    """A ``handle_error`` hook: SQLite's errors about the file itself become a
    :class:`StoreAccessError` naming the path and saying what is wrong (never SQL text)."""

    def translate(context: Any) -> BaseException | None:
        original = context.original_exception
        if not isinstance(original, sqlite3.Error):
            return None
        text = str(original)
        for needle, meaning in _SQLITE_FILE_ERRORS:
            if needle in text.lower():
                header = needle == "file is not a database"
                problem = path_problem(path, read_header=header) or f"{meaning} ({text})"
                return StoreAccessError(f"the store {path} {problem}")
        return None

    return translate
