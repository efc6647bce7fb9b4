"""PostgreSQL: one prepared statement run through libpq itself (``psycopg.pq``), for the one
statement a team's writers run after every key press: an event's insert.

A psycopg cursor spends as much of the client's CPU adapting, parsing and tracking the
statement as libpq spends sending it; here the statement is compiled once (``$n``
placeholders, by SQLAlchemy), prepared once per connection, and each run sends the row's
values as text. Anything unusual — a value that is not text, an integer or ``None``; a
connection inside a transaction, or not UTF-8 when the statement is prepared; any error from
the server — makes :meth:`PreparedStatement.run` return ``None`` having written nothing it
does not report, and the caller writes the usual way, which says what failed.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from psycopg import pq
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

__all__ = ["PreparedStatement"]

_names = itertools.count(1)
#: SQLSTATE of "prepared statement already exists".
_DUPLICATE_PREPARED = b"42P05"


class PreparedStatement:
    """A SQLAlchemy statement run as a server-side prepared statement on psycopg connections."""

    def __init__(self, statement: Any) -> None:
        compiled = statement.compile(dialect=PGDialect_psycopg(paramstyle="numeric_dollar"))
        self.sql = str(compiled).encode("utf-8")
        self.params: tuple[str, ...] = tuple(compiled.positiontup or ())
        self.name = f"nbl_prepared_{next(_names)}".encode()

    def run(self, dbapi_conn: Any, info: dict[str, Any], row: Mapping[str, Any]) -> list[bytes] | None:
        """The first column of the rows the statement returns (as text), or ``None`` when it
        was not run here: the caller then runs it the usual way.

        ``dbapi_conn`` is a psycopg connection in autocommit and idle (the statement is its own
        transaction: committed when the server answers); ``info`` is a dict that lives as long
        as that connection (SQLAlchemy's ``connection.info``), remembering what it prepared."""
        values = _text_values(row, self.params)
        if values is None:
            return None
        pgconn = dbapi_conn.pgconn
        if pgconn.transaction_status != pq.TransactionStatus.IDLE or not dbapi_conn.autocommit:
            return None
        prepared: set[bytes] = info.setdefault("nbl_prepared", set())
        if self.name not in prepared:
            if dbapi_conn.info.encoding != "utf-8":  # the text sent is UTF-8
                return None
            result = pgconn.prepare(self.name, self.sql)
            if result.status != pq.ExecStatus.COMMAND_OK and (
                result.error_field(pq.DiagnosticField.SQLSTATE) != _DUPLICATE_PREPARED
            ):
                return None
            prepared.add(self.name)
        result = pgconn.exec_prepared(self.name, values)
        if result.status != pq.ExecStatus.TUPLES_OK:
            prepared.discard(self.name)  # prepared anew next time (gone after a DISCARD ALL?)
            return None
        return [result.get_value(i, 0) for i in range(result.ntuples)]


#: How each type of value a row may hold is sent as text (``bool`` is not ``int`` here).
_AS_TEXT: dict[type, Any] = {str: str.encode, int: lambda value: b"%d" % value, type(None): lambda _: None}


def _text_values(row: Mapping[str, Any], names: tuple[str, ...]) -> list[bytes | None] | None:
    """The row's values in parameter order as UTF-8 text (``None`` as NULL); ``None`` if one
    is of another type (it is left to the driver's adaptation)."""
    try:
        return [_AS_TEXT[type(value)](value) for value in map(row.__getitem__, names)]
    except KeyError:
        return None
