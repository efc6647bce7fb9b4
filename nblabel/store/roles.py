"""One PostgreSQL login per annotator: roles, grants and row-level security.

``grant(store, task, annotator)`` creates (or gives a new password to) a login role for one
annotator of a session's task and returns that annotator's store URL; ``revoke`` drops it. The
first grant in a database sets up what every annotator role shares (again only when this
nblabel's definitions or the tables changed): a group role, the table privileges of
:data:`ANNOTATOR_TABLES`, row-level security policies and three ``SECURITY DEFINER`` functions.
Connected with an annotator's URL:

- events are inserted only under that annotator's own name and task (``WITH CHECK``);
- only that annotator's own events are readable — other annotators' events once the session is
  revealed, and only on items this annotator has answered (a label or a skip, even one undone
  since: ``nbl_answered_items``, read once per statement);
- the gold answers and explanations (``nbl_session_gold``) are not readable at all: the labeler
  asks ``nbl_gold_answer`` for the answer of an item it has already answered, which answers only
  when the session gives feedback or has a calibration gate (the first answer is what counts);
- every other table holds only the rows of its own task (and ``nbl_roles`` only its own row);
  there, what any item showed (``nbl_items``, ``nbl_session_items``) and which items are gold
  (``gold_keys`` in the config: the labeler's own process builds its queue) stay readable.

Roles that are not annotator roles see no change (a permissive policy lets them through); the
tables' owner bypasses row-level security. Identifiers are always quoted by psycopg
(``sql.Identifier``), and user data only ever travels as parameters or ``sql.Literal``. SQLite
has no logins: anyone who can open the file can read and write everything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import unicodedata
import weakref
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..core import limits
from ..core.event import now_us
from . import schema
from .errors import StoreError

#: A :class:`~nblabel.store.Store` (not imported: the store imports this module).
Store = Any

__all__ = [
    "ANNOTATOR_TABLES", "HIDDEN_TABLES", "RoleRefused", "Scope", "annotator_role", "current_scope",
    "gold_answer", "grant", "group_role", "revoke", "watch_refusals",
]  # fmt: skip

#: What an annotator role may do on each table: its privileges and the column that holds the
#: row's task (``None``: every row; ``"role"``: its own row of ``nbl_roles``). A table of the
#: schema that is in neither this nor :data:`HIDDEN_TABLES` is a mistake (tests/test_roles.py).
ANNOTATOR_TABLES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "nbl_meta": (("SELECT",), None),
    "nbl_tasks": (("SELECT", "INSERT"), "name"),  # a widget registers its task (insert-or-ignore)
    "nbl_events": (("SELECT", "INSERT"), "task"),  # own events; others' after the reveal (below)
    "nbl_items": (("SELECT", "INSERT"), "task"),  # what the item showed, with its first label
    "nbl_sessions": (("SELECT",), "task"),  # the plan without gold answers, the revealed flag
    "nbl_guidelines": (("SELECT",), "task"),
    "nbl_session_log": (("SELECT",), "task"),  # retirements and hand-overs
    "nbl_session_setup": (("SELECT",), "task"),  # nl.Session.open: widget and options
    "nbl_session_items": (("SELECT",), "task"),  # nl.Session.open: item data, no gold answers
    "nbl_roles": (("SELECT",), "role"),
}
#: Tables annotator roles get no privilege on.
HIDDEN_TABLES = ("nbl_session_gold",)

#: The ``nbl_meta`` key of the digest of the annotator roles' set-up (see :func:`_ensure_shared`).
SETUP_KEY = "annotator_access"
#: PostgreSQL advisory lock key held while roles and policies change.
LOCK_KEY = 0x6E626C726F6C6573  # "nblroles"

_SLUG = re.compile(r"[^a-z0-9]+")
_scopes: weakref.WeakKeyDictionary[Any, Scope | None] = weakref.WeakKeyDictionary()
_places: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


class RoleRefused(StoreError):
    """PostgreSQL refused a row under row-level security: this login (an annotator's) may not
    write it. Permanent: the same row is refused again."""


@dataclass(frozen=True)
class Scope:
    """The annotator an annotator login stands for: its ``role``, ``task`` and ``annotator``."""

    role: str
    task: str
    annotator: str


# ---------------------------------------------------------------------- names
def group_role(store: Store) -> str:
    """The group role every annotator role of ``store``'s database and schema belongs to."""
    return "nbl_annotators_" + _digest(_place(store))[:12]


def annotator_role(store: Store, task: str, annotator: str) -> str:
    """The login role of ``annotator`` on ``task``: ``nbl_<readable part>_<digest>`` (at most 38
    ASCII characters; the digest of database, schema, task and annotator keeps it unique)."""
    slug = _SLUG.sub("_", unicodedata.normalize("NFKD", annotator).encode("ascii", "ignore").decode().lower())
    slug = slug.strip("_")[:20].strip("_") or "annotator"
    digest = _digest("\x1f".join([_place(store), task, annotator]))[:12]
    return f"nbl_{slug}_{digest}"


def _place(store: Store) -> str:
    """The store's database and schema (read once per store): role names are per cluster."""
    if store not in _places:
        with store.engine.connect() as conn:
            database, here = conn.execute(sa.text("SELECT current_database(), current_schema()")).one()
        _places[store] = f"{database}\x1f{here}"
    return _places[store]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# ---------------------------------------------------------------------- grant / revoke
def grant(store: Store, task: str, annotator: str, password: str | None = None) -> str:
    """Create (or give a new password to) the login role of ``annotator`` on ``task`` and return
    the annotator's store URL (this store's host and database, that role and password). A
    password is generated (``secrets``) when none is given. ``StoreError`` on SQLite."""
    _postgresql_only(store, "grant")
    config = _session_of(store, task, annotator)
    if config.get("escalate") is not None:
        raise StoreError(
            f"session {task!r} uses adaptive overlap (escalate={config['escalate']!r}): escalations are "
            "decided in the labelers' processes from every annotator's answers, which an annotator login "
            "may not read. Per-annotator logins work with sessions without escalate="
        )
    password = _check_password(password) if password is not None else secrets.token_urlsafe(24)
    role, group = annotator_role(store, task, annotator), group_role(store)
    try:
        with store._lock, store._writer.begin() as conn:
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(LOCK_KEY)))
            cur = conn.connection.driver_connection.cursor()
            _ensure_shared(cur, group)
            _create_role(cur, role, group, password)
            cur.execute(
                "INSERT INTO nbl_roles (role, task, annotator, created_us) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (role) DO NOTHING",
                (role, task, annotator, now_us()),
            )
    except Exception as exc:  # the driver's own error from the cursor, or SQLAlchemy's around it
        _refused_here(store, exc, "give annotators logins")
        raise
    url = store.url.set(drivername="postgresql", username=role, password=password)
    return url.render_as_string(hide_password=False)


def revoke(store: Store, task: str, annotator: str) -> None:
    """Drop the login role of ``annotator`` on ``task``: its connections are ended (when this
    login may signal them) and its URL stops working. ``StoreError`` when it has none."""
    _postgresql_only(store, "revoke")
    limits.check_key(task, "task")
    role = annotator_role(store, task, annotator)
    try:
        _revoke(store, task, annotator, role)
    except StoreError:
        raise
    except Exception as exc:
        _refused_here(store, exc, "drop annotators' logins")
        raise


def _revoke(store: Store, task: str, annotator: str, role: str) -> None:
    with store._lock, store._writer.begin() as conn:
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(LOCK_KEY)))
        cur = conn.connection.driver_connection.cursor()
        cur.execute("SELECT 1 FROM nbl_roles WHERE role = %s", (role,))
        if cur.fetchone() is None:
            raise StoreError(f"annotator {annotator!r} of task {task!r} has no login in {store.location}")
        cur.execute(_sql("ALTER ROLE {} NOLOGIN", role))
    _end_connections(store, role)
    with store._lock, store._writer.begin() as conn:
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(LOCK_KEY)))
        cur = conn.connection.driver_connection.cursor()
        cur.execute("DELETE FROM nbl_roles WHERE role = %s", (role,))
        # it holds privileges only through the group (DROP OWNED BY would need membership of
        # the role, which a coordinator with CREATEROLE does not have)
        cur.execute(_sql("REVOKE {} FROM {}", group_role(store), role))
        cur.execute(_sql("DROP ROLE {}", role))


def _refused_here(store: Store, exc: BaseException, what: str) -> None:
    """:class:`StoreError` saying what the coordinator's login lacks, when PostgreSQL refused
    ``exc`` for want of a privilege (otherwise nothing: the caller re-raises ``exc``)."""
    orig = getattr(exc, "orig", None) or exc
    if getattr(orig, "sqlstate", None) != "42501":
        return
    raise StoreError(
        f"this login ({store.url.username or 'the default user'}) may not {what} in {store.location}: it "
        "must own nblabel's tables and have CREATEROLE (ALTER ROLE ... CREATEROLE, as a superuser); "
        f"PostgreSQL said: {str(orig).strip().splitlines()[0]}"
    ) from None


def _postgresql_only(store: Store, what: str) -> None:
    if store.backend != "postgresql":
        raise StoreError(
            f"cannot {what} a login on {store.location}: SQLite is all-or-nothing (anyone who can open "
            "the file can read and write everything). Per-annotator logins need a PostgreSQL store"
        )


def _session_of(store: Store, task: str, annotator: str) -> dict[str, Any]:
    """The stored config of the session on ``task``, which must name ``annotator``."""
    limits.check_key(task, "task")
    limits.check_name(annotator, "annotator")
    config = store.session_config(task)
    if config is None:
        raise StoreError(f"there is no session {task!r} in {store.location}: create the session first")
    names = list(config.get("annotators", []))
    if annotator not in names:
        raise ValueError(f"{annotator!r} is not an annotator of session {task!r}; annotators: {names}")
    return config


def _check_password(password: Any) -> str:
    if not isinstance(password, str) or not password:
        raise ValueError("password= must be a non-empty string (or None to generate one)")
    if "\x00" in password:
        raise ValueError("a password cannot contain a NUL character")
    return password


def _create_role(cur: Any, role: str, group: str, password: str) -> None:
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
    if cur.fetchone() is None:
        cur.execute(
            _sql("CREATE ROLE {} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION INHERIT "
                 "PASSWORD {}", role, literal=_verifier(password))
        )  # fmt: skip
    else:
        cur.execute(
            "SELECT 1 FROM nbl_roles WHERE role = %s UNION ALL SELECT 1 FROM pg_auth_members m "
            "JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles r ON r.oid = m.member "
            "WHERE g.rolname = %s AND r.rolname = %s",
            (role, group, role),
        )
        if cur.fetchone() is None:  # neither this store's login nor one of its group (a store made again)
            raise StoreError(
                f"a PostgreSQL role named {role} exists and is not an nblabel annotator login; "
                "nblabel leaves it alone (drop or rename it to grant this annotator a login)"
            )
        cur.execute(_sql("ALTER ROLE {} WITH LOGIN PASSWORD {}", role, literal=_verifier(password)))
    cur.execute(_sql("GRANT {} TO {}", group, role))


def _verifier(password: str) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for ``password`` (RFC 5802/7677), so the
    password itself never reaches the server or its log. A password SASLprep would change
    (non-ASCII) is sent as it is and hashed by the server."""
    if not (password.isascii() and password.isprintable()):
        return password
    salt = os.urandom(16)
    iterations = 4096
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def _end_connections(store: Store, role: str) -> None:
    """End the role's open connections (allowed to a superuser, a member of the role or of
    ``pg_signal_backend``); without that right they stay open, but the role can no longer log in
    and, once dropped, holds no privilege."""
    try:
        with store.engine.connect() as conn:
            conn.execute(
                sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :role"),
                {"role": role},
            )
            conn.commit()
    except sa.exc.DBAPIError:
        pass


# ---------------------------------------------------------------------- what annotator roles share
def _ensure_shared(cur: Any, group: str) -> None:
    """The group role, its privileges, the row-level security policies and the functions.

    Set up again only when something changed since the last grant (the group role is missing,
    the tables present or this nblabel's definitions differ: a digest of them is kept in
    ``nbl_meta``): changing policies locks the tables, so a grant while a team labels must not."""
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (group,))
    has_group = cur.fetchone() is not None
    cur.execute("SELECT current_schema()")
    here = cur.fetchone()[0]
    present = set(_tables(cur))
    digest = _digest(json.dumps([group, here, sorted(present), ANNOTATOR_TABLES, HIDDEN_TABLES,
                                 _FUNCTIONS, _EVENTS_READ, _EVENTS_WRITE]))  # fmt: skip
    cur.execute("SELECT value FROM nbl_meta WHERE key = %s", (SETUP_KEY,))
    found = cur.fetchone()
    if has_group and found is not None and found[0] == digest:
        return
    if not has_group:
        cur.execute(_sql("CREATE ROLE {} NOLOGIN", group))
    _set_up(cur, group, here, present)
    cur.execute(
        "INSERT INTO nbl_meta (key, value) VALUES (%s, %s) "
        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        (SETUP_KEY, digest),
    )


def _set_up(cur: Any, group: str, here: str, present: set[str]) -> None:
    """Grants, row-level security policies and functions for the annotator roles of ``group``."""
    cur.execute(_sql("GRANT USAGE ON SCHEMA {} TO {}", here, group))
    for statement in _FUNCTIONS:
        cur.execute(_sql(statement, here))
    for name in ("nbl_answered(text, text, text)", "nbl_answered_items(text)",
                 "nbl_gold_answer(text, text, text)"):  # fmt: skip
        cur.execute(f"REVOKE ALL ON FUNCTION {name} FROM PUBLIC")
        cur.execute(_sql(f"GRANT EXECUTE ON FUNCTION {name} TO {{}}", group))
    for table in HIDDEN_TABLES:
        cur.execute(_sql("REVOKE ALL ON {} FROM {}", table, group))
    for table, (privileges, column) in ANNOTATOR_TABLES.items():
        if table not in present:
            continue
        cur.execute(_sql(f"GRANT {', '.join(privileges)} ON {{}} TO {{}}", table, group))
        if column is None:
            continue
        cur.execute(_sql("ALTER TABLE {} ENABLE ROW LEVEL SECURITY", table))
        for policy in ("nbl_others", "nbl_annotator", "nbl_annotator_read", "nbl_annotator_write"):
            cur.execute(_sql("DROP POLICY IF EXISTS {} ON {}", policy, table))
        # roles that are not annotator roles keep what their grants give them
        others = "(SELECT NOT pg_has_role(current_user, {}, 'MEMBER'))"  # once per statement
        policy = f"CREATE POLICY nbl_others ON {{}} USING ({others}) WITH CHECK ({others})"
        cur.execute(_sql(policy, table, literal=group, literal2=group))
        if table == "nbl_events":
            cur.execute(_sql(_EVENTS_READ, group))
            cur.execute(_sql(_EVENTS_WRITE, group))
        elif column == "role":
            mine = "CREATE POLICY nbl_annotator ON {} FOR SELECT TO {} USING (role = current_user::text)"
            cur.execute(_sql(mine, table, group))
        else:
            own = "{} = " + _MY_TASK
            cur.execute(_sql(f"CREATE POLICY nbl_annotator ON {{}} TO {{}} USING ({own}) WITH CHECK ({own})",
                             table, group, column, column))  # fmt: skip
    cur.execute("SELECT pg_get_serial_sequence('nbl_events', 'id')")
    sequence = cur.fetchone()[0]
    if sequence is not None:  # a qualified, already quoted name from the catalog
        cur.execute(_sql(f"GRANT USAGE ON SEQUENCE {sequence} TO {{}}", group))


def _tables(cur: Any) -> list[str]:
    cur.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_name LIKE 'nbl\\_%'"
    )
    return [row[0] for row in cur.fetchall()]


#: Other annotators' events: after the reveal, on items this annotator has answered.
# The policies compare each row with uncorrelated subqueries (PostgreSQL evaluates them once per
# statement, and the task/annotator index still serves the row filter): a correlated look-up
# per row made a login's reads of its own events 4x slower than the owner's.
_MY_TASK = "(SELECT r.task FROM nbl_roles r WHERE r.role = current_user::text)"
_MY_NAME = "(SELECT r.annotator FROM nbl_roles r WHERE r.role = current_user::text)"
_REVEALED = f"(SELECT s.revealed FROM nbl_sessions s WHERE s.task = {_MY_TASK}) = 1"
#: Model annotators' events (``model:<name>``: suggestions, a judge's verdicts) are no person's
#: labels: a login reads them, so suggestions the coordinator recorded (``nl.record_model``) are
#: served without calling the model; it never writes them (an annotator could otherwise plant
#: the suggestions the others are shown).
_MODEL_EVENT = "annotator LIKE 'model:%'"
#: Own events and models' events; other annotators' events once revealed, on items this
#: annotator has answered.
_EVENTS_READ = f"""CREATE POLICY nbl_annotator_read ON nbl_events FOR SELECT TO {{}} USING (
  task = {_MY_TASK} AND (annotator = {_MY_NAME} OR {_MODEL_EVENT}
                         OR ({_REVEALED}
                             AND item_id IN (SELECT nbl_answered_items(current_user::text)))))"""
_EVENTS_WRITE = f"""CREATE POLICY nbl_annotator_write ON nbl_events FOR INSERT TO {{}} WITH CHECK (
  task = {_MY_TASK} AND annotator = {_MY_NAME})"""

#: ``SECURITY DEFINER``: they run as the tables' owner (row-level security does not apply to
#: it), for the login (``session_user``) acting as ``p_role`` only.
_FUNCTIONS = [
    """CREATE OR REPLACE FUNCTION nbl_answered(p_role text, p_task text, p_item text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {}, pg_temp AS $$
  SELECT pg_has_role(session_user, p_role, 'MEMBER') AND EXISTS (
    SELECT 1 FROM nbl_roles r JOIN nbl_events e ON e.task = r.task AND e.annotator = r.annotator
    WHERE r.role = p_role AND r.task = p_task AND md5(e.item_id) = md5(p_item) AND e.item_id = p_item
      AND e.kind IN ('label', 'skip'))
$$""",
    """CREATE OR REPLACE FUNCTION nbl_answered_items(p_role text) RETURNS SETOF text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {}, pg_temp AS $$
  SELECT DISTINCT e.item_id
  FROM nbl_roles r JOIN nbl_events e ON e.task = r.task AND e.annotator = r.annotator
  WHERE r.role = p_role AND pg_has_role(session_user, p_role, 'MEMBER') AND e.kind IN ('label', 'skip')
$$""",
    """CREATE OR REPLACE FUNCTION nbl_gold_answer(p_role text, p_task text, p_key text)
RETURNS TABLE (answer text, note text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {}, pg_temp AS $$
  SELECT g.value, CASE WHEN s.config::jsonb ->> 'feedback' = 'true' THEN g.explanation END
  FROM nbl_session_gold g JOIN nbl_sessions s ON s.task = g.task
  WHERE g.task = p_task AND g.key = p_key
    AND (s.config::jsonb ->> 'feedback' = 'true'
         OR COALESCE((s.config::jsonb ->> 'calibration')::numeric, 0) > 0)
    AND nbl_answered(p_role, p_task, p_key)
$$""",
]


def _sql(template: str, *names: str, literal: str | None = None, literal2: str | None = None) -> Any:
    """``template`` with its ``{}`` filled by quoted identifiers ``names`` then the literals."""
    from psycopg import sql

    parts: list[Any] = [sql.Identifier(n) for n in names]
    parts += [sql.Literal(v) for v in (literal, literal2) if v is not None]
    return sql.SQL(template).format(*parts)


# ---------------------------------------------------------------------- as an annotator
def current_scope(store: Store) -> Scope | None:
    """The annotator this store's login stands for (``None``: not an annotator login, or
    SQLite). Read once per store."""
    if store.backend != "postgresql":
        return None
    if store in _scopes:
        return _scopes[store]
    r = schema.roles
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.select(r.c.role, r.c.task, r.c.annotator).where(r.c.role == sa.func.current_user())
        ).first()
    scope = None if row is None else Scope(*row)
    _scopes[store] = scope
    return scope


def gold_answer(store: Store, task: str, key: str) -> tuple[Any, str | None] | None:
    """As an annotator login: the gold answer of item ``key`` and its explanation (``None``
    without feedback), once this annotator has answered it and if the session gives feedback or
    has a calibration gate; ``None`` otherwise."""
    with store.engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT answer, note FROM nbl_gold_answer(current_user::text, :task, :key)"),
            {"task": task, "key": key},
        ).first()
    return None if row is None else (json.loads(row[0]), row[1])


# ---------------------------------------------------------------------- refusals, said clearly
def watch_refusals(store: Store) -> None:
    """Turn PostgreSQL's "new row violates row-level security policy" on ``store``'s engine into
    :class:`RoleRefused` naming the annotator this login stands for and the one it tried to
    write as (nothing was written)."""
    if store.backend != "postgresql":
        return
    ref = weakref.ref(store)

    @sa.event.listens_for(store.engine, "handle_error")
    def _refused(context: Any) -> None:
        orig = context.original_exception
        if getattr(orig, "sqlstate", None) != "42501" or "row-level security" not in str(orig):
            return
        owner = ref()
        raise RoleRefused(_refusal(owner, context)) from None


def _refusal(store: Store | None, context: Any) -> str:
    params = {}
    execution = getattr(context, "execution_context", None)
    compiled = getattr(execution, "compiled_parameters", None)
    if compiled:
        params = compiled[0]
    table = re.search(r'table "([^"]+)"', str(context.original_exception))
    what = f"a row of {table.group(1)}" if table else "a row"
    if "annotator" in params:
        what = f"an event of annotator {params['annotator']!r} on task {params.get('task')!r}"
    elif "name" in params and table and table.group(1) == "nbl_tasks":
        what = f"task {params['name']!r}"
    scope = None
    if store is not None:
        try:
            scope = current_scope(store)
        except Exception:
            scope = None
    who = (
        f"this login may write only as annotator {scope.annotator!r} of task {scope.task!r}"
        if scope is not None
        else "this login may not write it"
    )
    return f"{who}: {what} was refused (nothing was written)"
