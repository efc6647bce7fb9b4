"""The ``nblabel`` command line.

``nblabel report STORE_URL --task T [--out DIR]`` prints the agreement report of a task (and the
per-annotator and per-label tables); with ``--out`` it also writes the plots as PNG files and an
``index.html`` page that shows them with the tables.

``nblabel export STORE_URL --task T --format F --out PATH`` writes the task's labels in any
format ``Store.export`` knows (``--keep-ties`` for compare tasks), other tools' formats included
(``label-studio``, ...).

``nblabel import STORE_URL PATH --format F --task T [--option KEY=VALUE ...]`` imports another
tool's file (``Store.import_file``) and prints what it wrote; a SQLite store is created if needed.

``nblabel session grant STORE_URL --task T --annotator NAME [--password-file PATH]`` creates a
PostgreSQL login for one annotator of a session and prints their store URL as the last line;
``nblabel session revoke STORE_URL --task T --annotator NAME`` drops it.

``nblabel session serve STORE_URL --task T [--host H] [--port N] [--base-url URL] [--links FILE]``
serves each annotator of a session a page with only their labeler (a personal link each) and the
coordinator's dashboard; no kernel runs (:mod:`nblabel.serve`).

``nblabel tasks STORE_URL`` lists the tasks of a store (kind, number of labels, events,
annotators, items); ``nblabel --version`` prints the installed version.
"""

from __future__ import annotations

import argparse
import functools
import html
import itertools
import math
import numbers
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .core.redact import mask_passwords, secrets_in

__all__ = ["main"]

#: At most this many annotator pairs get a confusion plot (k annotators have k(k-1)/2 pairs).
MAX_PAIRS = 10
#: At most this many disagreements are printed / shown in the page (the count is always given).
MAX_DISAGREEMENTS = 50


#: Passwords found in the command line: masked wherever they would appear in the output.
_secrets: list[str] = []


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 1 failure, 2 usage error). No
    password of a store URL appears in any output, whatever form the URL gives it in."""
    argv = list(sys.argv[1:] if argv is None else argv)
    _secrets[:] = [secret for arg in argv for secret in secrets_in(str(arg))]
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except Exception as exc:  # unexpected: say what failed, with the passwords masked
        import sqlalchemy as sa

        if isinstance(exc, sa.exc.DBAPIError):  # the database's words, never SQL text
            orig = exc.orig if exc.orig is not None else exc
            return _fail(f"the store failed: {str(orig).strip().splitlines()[0]}", 1)
        print(_safe(traceback.format_exc()), file=sys.stderr, end="")
        return 1


class _Parser(argparse.ArgumentParser):
    """An argument parser whose help and usage errors go out with passwords masked."""

    def _print_message(self, message: str, file: Any = None) -> None:
        super()._print_message(_safe(message) if message else message, file)


def _parser() -> argparse.ArgumentParser:
    from .core import __version__

    parser = _Parser(prog="nblabel", description="nblabel: labels and their quality.")
    parser.add_argument("--version", action="version", version=f"nblabel {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    tasks = commands.add_parser(
        "tasks",
        help="list the tasks of a store",
        description="Print one line per task of a store: its name, kind, number of labels, events, "
        "annotators and items.",
    )
    tasks.add_argument("store", metavar="STORE_URL", help="a SQLite file path or a SQLAlchemy URL")
    tasks.set_defaults(run=_tasks)

    report = commands.add_parser(
        "report",
        help="agreement report of a task",
        description="Print the agreement report of a task; with --out, write its plots (PNG) and "
        "an HTML page.",
    )
    report.add_argument("store", metavar="STORE_URL", help="a SQLite file path or a SQLAlchemy URL")
    report.add_argument("--task", "-t", required=True, help="the task name")
    report.add_argument("--out", "-o", type=Path, help="write PNG plots and index.html to this folder")
    report.add_argument("--gold", help="an annotator whose labels are the gold answers")
    report.add_argument("--n-boot", type=int, default=200, help="bootstrap resamples for the CIs (0: none)")
    report.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    report.set_defaults(run=_report)

    export = commands.add_parser(
        "export",
        help="write a task's labels for training",
        description="Write the current labels of a task: jsonl, csv, parquet for every task; bio, "
        "conll, spacy for spans; coco (a file), yolo, voc (folders) for boxes; dpo, reward for "
        "compare tasks; other tools' formats: label-studio (with its labeling config beside it), "
        "prodigy, doccano, hf (a Hugging Face datasets folder).",
    )
    export.add_argument("store", metavar="STORE_URL", help="a SQLite file path or a SQLAlchemy URL")
    export.add_argument("--task", "-t", required=True, help="the task name")
    export.add_argument("--format", "-f", default="jsonl", help="the format (default: jsonl)")
    export.add_argument("--out", "-o", type=Path, required=True, help="the file (or folder) to write")
    export.add_argument("--keep-ties", action="store_true", help="compare tasks: keep ties and 'both bad'")
    export.set_defaults(run=_export)

    imports = commands.add_parser(
        "import",
        help="import another tool's labels",
        description="Import a file of another labeling tool into a task (Label Studio JSON, Prodigy "
        "or doccano JSONL, ...): every value is checked first, nothing is written when one is wrong, "
        "and importing the same file again writes nothing. A SQLite store is created if needed.",
    )
    imports.add_argument("store", metavar="STORE_URL", help="a SQLite file path or a SQLAlchemy URL")
    imports.add_argument("path", metavar="PATH", type=Path, help="the file to import")
    imports.add_argument("--format", "-f", required=True, help="the file's format (e.g. label-studio)")
    imports.add_argument("--task", "-t", required=True, help="the task to import into")
    imports.add_argument(
        "--option", "-O", action="append", default=[], metavar="KEY=VALUE",
        help="an option of the format's reader (e.g. id_field=ref); VALUE is read as JSON when it is JSON",
    )  # fmt: skip
    imports.set_defaults(run=_import)

    session = commands.add_parser(
        "session", help="calibration sessions", description="Commands for calibration sessions."
    )
    session_commands = session.add_subparsers(
        dest="session_command", metavar="SUBCOMMAND", required=True, parser_class=_Parser
    )
    status = session_commands.add_parser(
        "status",
        help="progress per annotator and agreement so far",
        description="Print a session's progress per annotator (assigned, labeled, remaining, calibration "
        "phase, gold accuracy, flags) and the agreement so far.",
    )
    status.add_argument("store", metavar="STORE_URL", help="a SQLite file path or a SQLAlchemy URL")
    status.add_argument("--task", "-t", required=True, help="the session's task name")
    status.set_defaults(run=_session_status)
    serve = session_commands.add_parser(
        "serve",
        help="a page per annotator: labeling in a browser, no notebook",
        description="Serve each annotator of a session a page with only their labeler, behind a personal "
        "link (printed here, one per annotator), and the dashboard behind a link for you. No kernel runs: "
        "a page can only label. On PostgreSQL each annotator's labeler connects with their own login "
        "(session grant); on SQLite with the file itself. Ctrl+C stops; labels are saved as they are given.",
    )
    serve.add_argument("store", metavar="STORE_URL", help="the owner's store: a SQLite file path or a URL")
    serve.add_argument("--task", "-t", required=True, help="the session's task name")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port (0: a free one; default 8765)")
    serve.add_argument(
        "--base-url", metavar="URL",
        help="the address annotators reach (https://host/path behind a proxy); links start with it",
    )  # fmt: skip
    serve.add_argument(
        "--links", type=Path, metavar="FILE",
        help="keep the links (and annotators' logins) in FILE, mode 0600, so they survive a restart",
    )  # fmt: skip
    serve.set_defaults(run=_session_serve)
    grant = session_commands.add_parser(
        "grant",
        help="a PostgreSQL login for one annotator (prints their store URL)",
        description="Create (or give a new password to) a PostgreSQL login for one annotator of a session "
        "and print that annotator's store URL as the last line, once. With it the annotator labels as "
        "themselves only, reads only their own labels (others' after the reveal) and never a gold answer. "
        "SQLite is all-or-nothing: this needs a PostgreSQL store.",
    )
    grant.add_argument("store", metavar="STORE_URL", help="the owner's PostgreSQL URL")
    grant.add_argument("--task", "-t", required=True, help="the session's task name")
    grant.add_argument("--annotator", "-a", required=True, help="the annotator's name in the session")
    grant.add_argument(
        "--password-file", type=Path, metavar="PATH",
        help="read the password from this file (first line); without it a strong one is generated",
    )  # fmt: skip
    grant.set_defaults(run=_session_grant)
    revoke = session_commands.add_parser(
        "revoke",
        help="drop an annotator's PostgreSQL login",
        description="Drop the PostgreSQL login of one annotator of a session: their URL stops working; "
        "their labels stay.",
    )
    revoke.add_argument("store", metavar="STORE_URL", help="the owner's PostgreSQL URL")
    revoke.add_argument("--task", "-t", required=True, help="the session's task name")
    revoke.add_argument("--annotator", "-a", required=True, help="the annotator's name in the session")
    revoke.set_defaults(run=_session_revoke)
    return parser


def _fail(message: str, code: int) -> int:
    print(f"nblabel: {_safe(message)}", file=sys.stderr)
    return code


def _open_store(url: str, *, create: bool = False) -> Any:
    """The store at ``url``, or the exit code after a one-line error (a SQLite file that does
    not exist is an error, unless ``create``)."""
    from .store.store import Store, StoreError

    if not create and ("://" not in url or url.startswith("sqlite:///")):
        path = Path(url.removeprefix("sqlite:///")).expanduser()
        if url != "sqlite:///:memory:" and not path.exists():
            return _fail(f"no store at {path} (the file does not exist)", 2)
    try:
        return Store(url)
    except StoreError as exc:  # not a database, damaged, read-only, unreachable: it says which
        return _fail(str(exc), 2)
    except Exception as exc:  # a bad URL, a driver not installed: one clear line, no traceback
        return _fail(f"cannot open the store {url}: {exc}", 2)


def _open(url: str, task: str) -> Any:
    """The store at ``url`` holding ``task``, or the exit code after a one-line error."""
    store = _open_store(url)
    if isinstance(store, int):
        return store
    try:
        tasks = store.tasks()
    except Exception:
        store.close()
        raise
    if task not in set(tasks["task"]):
        known = ", ".join(repr(t) for t in tasks["task"]) or "(none)"
        store.close()
        return _fail(f"no task {task!r} in {store.location}; tasks: {known}", 2)
    return store


def _with_store(command: Callable[[argparse.Namespace, Any], int]) -> Callable[[argparse.Namespace], int]:
    """Run ``command(args, store)`` on the store and task named by ``args``: output in UTF-8,
    a store or task that cannot be opened is a one-line error, the store is closed after."""

    @functools.wraps(command)
    def run(args: argparse.Namespace) -> int:
        _utf8_output()
        store = _open(str(args.store), args.task)
        if isinstance(store, int):
            return store
        try:
            return command(args, store)
        finally:
            store.close()

    return run


def _tasks(args: argparse.Namespace) -> int:
    from .agreement.report import printable

    _utf8_output()
    store = _open_store(str(args.store))
    if isinstance(store, int):
        return store
    try:
        tasks = store.tasks()
        location = store.location
    finally:
        store.close()
    count = f"{len(tasks)} task{'' if len(tasks) == 1 else 's'}"
    lines = [f"nblabel tasks · {location} · {count}"]
    if len(tasks):
        rows = [["task", "kind", "labels", "events", "annotators", "items"]]
        for task in tasks.itertuples(index=False):
            rows.append(
                [
                    printable(str(task.task)),  # escaped before aligning: the columns stay straight
                    str(task.kind),
                    str(len(task.labels)),
                    str(task.events),
                    str(task.annotators),
                    str(task.items),
                ]
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines.append("")
        for row in rows:  # names and kinds left-aligned, counts right-aligned
            cells = [
                c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
            ]
            lines.append("  ".join(cells).rstrip())
    else:
        lines.append("  (no tasks yet)")
    print(_safe("\n".join(lines)))
    return 0


@_with_store
def _export(args: argparse.Namespace, store: Any) -> int:
    options = {"keep_ties": True} if args.keep_ties else {}
    try:
        written = store.export(args.task, args.out, format=args.format, **options)
    except (ValueError, TypeError, ImportError) as exc:
        return _fail(str(exc), 2)
    print(f"wrote {_safe(os.fspath(written))}")
    return 0


def _import(args: argparse.Namespace) -> int:
    import json

    _utf8_output()
    options: dict[str, Any] = {}
    for option in args.option:
        key, sep, text = option.partition("=")
        if not sep or not key.isidentifier():
            return _fail(f"--option {option!r}: expected KEY=VALUE", 2)
        try:
            options[key] = json.loads(text)
        except ValueError:
            options[key] = text
    store = _open_store(str(args.store), create=True)
    if isinstance(store, int):
        return store
    try:
        summary = store.import_file(args.path, format=args.format, task=args.task, **options)
    except KeyError as exc:
        return _fail(str(exc.args[0]) if exc.args else str(exc), 2)
    except OSError as exc:
        return _fail(f"cannot read {args.path}: {exc.strerror or exc}", 2)
    except (ValueError, TypeError) as exc:
        return _fail(" ".join(str(exc).split()), 2)
    finally:
        store.close()
    print(_safe(str(summary)))
    return 0


@_with_store
def _report(args: argparse.Namespace, store: Any) -> int:
    from .agreement.report import agreement_report

    info = store.task(args.task)
    annotations = store.annotations(args.task)
    try:
        # the frame carries the task's kind and config as the store recorded them
        report = agreement_report(
            annotations, gold=args.gold, labels=info.labels, n_boot=args.n_boot, seed=args.seed
        )
    except NotImplementedError as exc:
        return _fail(str(exc), 1)
    except KeyError as exc:
        return _fail(str(exc.args[0]) if exc.args else str(exc), 2)
    print(_safe(_text(args.task, info, report)))
    suggestions = _suggestions(annotations, args.gold)
    if suggestions is not None:
        print(_safe(_suggestions_text(suggestions)))
    if args.out is not None:
        page = _write_outputs(args.out, args.task, info, annotations, report, gold=args.gold)
        print(f"\nwrote {_safe(os.fspath(page))}")
    return 0


@_with_store
def _session_status(args: argparse.Namespace, store: Any) -> int:
    from .agreement.report import agreement_report
    from .sessions.decisions import adjudication_counts
    from .sessions.session import production_events, progress_table

    config = store.session_config(args.task)
    if config is None:
        return _fail(
            f"task {args.task!r} in {store.location} is not a session (it was not made by nl.Session)", 2
        )
    gold = {key for key, _ in config.get("gold", [])}
    progress = progress_table(store, args.task, config)
    # columns of adaptive overlap only where it happened
    quiet = [c for c in ("received", "handed_away", "retired") if c in progress and not progress[c].any()]
    progress = progress.drop(columns=quiet)
    production = production_events(store.annotations(args.task), gold)
    info = store.task(args.task)
    lines = [
        f"nblabel session · task {args.task!r} · {config['kind']} · {config['items']} items · "
        f"{len(config['gold'])} gold · overlap {config['overlap']} · "
        f"{'revealed' if store.session_revealed(args.task) else 'blind'}",
        "",
        "Annotators",
        _plain_table(progress),
    ]
    labeled = production[production["kind"] == "label"]
    lines += ["", "Agreement so far (production items)"]
    if len(labeled) and labeled.groupby("item_id")["annotator"].nunique().max() >= 2:
        report = agreement_report(production, labels=info.labels, n_boot=0)
        lines.append(_plain_table(report[["coefficient", "value", "items"]].set_index("coefficient")))
    else:
        lines.append("  (no item has labels from two annotators yet)")
    counts = adjudication_counts(store, args.task, config["kind"], gold)
    lines += [
        "",
        f"Disagreements: {counts['disagreements']} items · adjudicated {counts['adjudicated']} · "
        f"ambiguous {counts['ambiguous']} · open "
        f"{counts['disagreements'] - counts['adjudicated'] - counts['ambiguous']}",
    ]
    lines += _adaptive_lines(store, args.task, config)
    print(_safe("\n".join(lines)))
    return 0


def _session_grant(args: argparse.Namespace) -> int:
    """``nblabel session grant``: the annotator's URL is the last line of the output, printed once
    (nothing else prints the password)."""
    from .store import roles
    from .store.errors import StoreError

    _utf8_output()
    password = None
    if args.password_file is not None:
        try:
            lines = Path(args.password_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            return _fail(f"cannot read the password file {args.password_file}: {exc}", 2)
        password = lines[0] if lines else ""
        if not password:
            return _fail(f"the password file {args.password_file} is empty", 2)
    store = _open(str(args.store), args.task)
    if isinstance(store, int):
        return store
    try:
        url = roles.grant(store, args.task, args.annotator, password)
        print(
            _safe(f"Login for annotator {args.annotator!r} of session {args.task!r} in {store.location} "
                  "(give this URL to them only; `nblabel session revoke` drops it):")
        )  # fmt: skip
    except (StoreError, ValueError) as exc:
        return _fail(str(exc), 2)
    finally:
        store.close()
    print(url)
    return 0


def _session_revoke(args: argparse.Namespace) -> int:
    from .store import roles
    from .store.errors import StoreError

    _utf8_output()
    store = _open(str(args.store), args.task)
    if isinstance(store, int):
        return store
    try:
        roles.revoke(store, args.task, args.annotator)
    except (StoreError, ValueError) as exc:
        return _fail(str(exc), 2)
    finally:
        store.close()
    print(_safe(f"Dropped the login of annotator {args.annotator!r} of session {args.task!r}."))
    return 0


def _adaptive_lines(store: Any, task: str, config: dict[str, Any]) -> list[str]:
    """``session status``: escalations, retired annotators, and drift flags (the rolling gold
    accuracy of an annotator's last 10 gold answers under the session's threshold)."""
    from .core import registry
    from .sessions.adaptive import DISAGREEMENT, log_summary
    from .sessions.quality import drifting_annotators, quality_table

    annotators = list(config.get("annotators", []))
    log = log_summary(store.session_log(task), annotators)
    lines = []
    escalate = config.get("escalate")
    if escalate is not None:
        rule = "on disagreement" if escalate == DISAGREEMENT else f"under {float(escalate):.0%} confidence"
        sent = ", ".join(f"{n} to {a}" for a, n in log["escalated_to"].items() if n) or "none yet"
        lines += ["", f"Escalation {rule}, up to {config.get('max_overlap')} annotators per item: "
                  f"{log['escalated_items']} items escalated ({sent})"]  # fmt: skip
    if log["retired"]:
        lines.append("")
    for name, when in log["retired"].items():
        at = pd.Timestamp(when, unit="us", tz="UTC").strftime("%Y-%m-%d %H:%M UTC")
        lines.append(f"Retired: {name} ({at}), {log['handed_away'][name]} items handed to the others")
    gold = {key: value for key, value in config.get("gold", [])}
    if gold:
        info = store.task(task)
        kind = registry.for_task(info.kind, info.config)
        threshold = float(config.get("gold_threshold", 0.9))
        table = quality_table(
            store.annotations(task), annotators=annotators, gold=gold, agree=kind.values_agree,
            score=kind.gold_score, gold_threshold=threshold,
        )  # fmt: skip
        flagged = drifting_annotators(table)
        said = "; ".join(
            f"{name} since batch {row['since']} ({row['rolling_gold_accuracy']:.0%})"
            for name, row in flagged.iterrows()
        )
        lines += ["", f"Drift (last 10 gold answers under {threshold:.0%}): {said or 'none'}"]
    return lines


def _session_serve(args: argparse.Namespace) -> int:
    """``nblabel session serve``: print the personal links, then serve until Ctrl+C."""
    _utf8_output()
    try:
        from .serve import SessionServer
    except ImportError as exc:  # tornado missing
        return _fail(f"nblabel session serve needs tornado: pip install 'nblabel[serve]' ({exc})", 2)
    store = _open(str(args.store), args.task)
    if isinstance(store, int):
        return store
    store.close()
    try:
        server = SessionServer(
            str(args.store), args.task, host=args.host, port=args.port, base_url=args.base_url,
            links_file=args.links,
        )
    except (KeyError, ValueError, TypeError, OSError) as exc:  # not a session, a bad links file, ...
        return _fail(str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc), 2)
    try:
        server.start()
    except OSError as exc:
        server.stop()
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", 2)
    links = server.links()
    backend = server.session.store.backend
    how = (
        "each annotator's labeler uses their own PostgreSQL login"
        if backend == "postgresql"
        else "SQLite: every labeler uses the store file (all or nothing; PostgreSQL has per-annotator logins)"
    )
    width = max(len(name) for name in server.session.annotators)
    lines = [
        f"nblabel session serve · task {args.task!r} · {len(server.session.annotators)} annotators · "
        f"store {server.session.store.location}",
        how,
        "Personal links (give each annotator their own only):",
        *(f"  {name.ljust(width)}  {links[name]}" for name in server.session.annotators),
        f"Dashboard (for you only): {links['(dashboard)']}",
        f"Serving on {args.host}:{server.port}. Ctrl+C stops.",
    ]
    try:
        print(_safe("\n".join(lines)), flush=True)
        server.serve_forever()
    except KeyboardInterrupt:  # Ctrl+C before serving began
        server.stop()
    return 0


def _utf8_output() -> None:
    # κ and α print on any terminal: characters the output encoding lacks are escaped, not fatal.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def _safe(text: str) -> str:
    """Text for the terminal: passwords masked, control characters in user data shown escaped."""
    from .agreement.report import printable

    return printable(mask_passwords(text, _secrets))


# ---------------------------------------------------------------------- text
def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if abs(value) >= 100:  # items per hour, milliseconds: whole numbers read best
            return f"{value:,.0f}"
        return f"{value:.3f}"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value)


def _plain_table(frame: pd.DataFrame, index: bool = True) -> str:
    if frame.empty:
        return "  (none yet)"
    shown = frame.map(_cell) if len(frame.columns) else frame
    if index:
        shown.index = [str(i) for i in shown.index]
    return shown.to_string(index=index)


def _text(task: str, info: Any, report: Any) -> str:
    multi = " (multi-label)" if report.multi else ""
    n_items = len(report.disagreements)
    labels = f" · labels: {', '.join(str(label) for label in info.labels)}" if info.labels else ""
    lines = [
        f"nblabel report · task {task!r} · {info.kind}{multi}{labels}",
        "",
        "Agreement",
        _plain_table(report.drop(columns=["note"]).set_index("coefficient"), index=True),
    ]
    notes = [(c, n) for c, n in zip(report["coefficient"], report["note"], strict=True) if n]
    lines += [f"  {c}: {n}" for c, n in notes]
    lines += ["", f"Annotators (reference: {report.reference})", _plain_table(report.per_annotator)]
    if len(report.per_label.columns):  # a kind without labels (texts) has no label table
        lines += ["", "Labels", _plain_table(report.per_label)]
    lines += ["", f"Disagreements: {n_items} items"]
    if n_items:
        lines.append(_plain_table(report.disagreements.head(MAX_DISAGREEMENTS)))
        if n_items > MAX_DISAGREEMENTS:
            lines.append(f"  ... and {n_items - MAX_DISAGREEMENTS} more")
    return "\n".join(lines)


def _suggestions(annotations: pd.DataFrame, gold: str | None) -> pd.DataFrame | None:
    """The suggestion report of the task (``gold``: an annotator whose labels are the gold), or
    ``None`` when no person's label recorded a suggestion."""
    from .agreement.suggestions import has_suggestions, suggestion_report
    from .core.frames import current_from_annotations

    answers = None
    if gold is not None:  # the gold annotator's labels check the suggestions; they are no row
        current = current_from_annotations(annotations[annotations["annotator"] == gold])
        current = current[current["kind"] == "label"]
        answers = pd.Series(current["value"].tolist(), index=current["item_id"].tolist(), dtype=object)
        people = annotations[annotations["annotator"] != gold]
        people.attrs = annotations.attrs
        annotations = people
    report = suggestion_report(annotations, gold=answers)
    return report if has_suggestions(report) else None


def _suggestions_text(report: pd.DataFrame) -> str:
    from .agreement.suggestions import suggestion_caption, suggestion_table

    table = _plain_table(suggestion_table(report))
    return "\n".join(["", "Suggestions", table, f"  {suggestion_caption(report)}"])


# ---------------------------------------------------------------------- files
def _write_outputs(
    out: Path, task: str, info: Any, annotations: pd.DataFrame, report: Any, *, gold: str | None
) -> Path:
    from .agreement.plots import plot_agreement, plot_annotators, plot_confusion_grid
    from .core import registry

    out.mkdir(parents=True, exist_ok=True)
    figures: list[tuple[str, str]] = []  # (file name, caption); names never hold user data

    def save(fig: Any, name: str, caption: str) -> None:
        fig.savefig(out / name, dpi=120)
        figures.append((name, caption))

    save(plot_agreement(report, title=f"Agreement · {task}"), "agreement.png", "Agreement coefficients")
    save(plot_annotators(report), "annotators.png", "Annotators: accuracy and throughput")
    suggestions = _suggestions(annotations, gold)
    if suggestions is not None:
        from .agreement.suggestion_plots import plot_suggestions

        caption = "Suggestions: accepted, wrong ones accepted, accuracy with and without"
        save(plot_suggestions(suggestions), "suggestions.png", caption)
    annotators = list(report.per_annotator.index)
    # the dashboard's confusion of two sides, as the task's kind prepares it
    kind = registry.for_task(info.kind, info.config)
    view = kind.live_view(annotations, gold, labels=info.labels or None, config=info.config)
    present = set(view.annotators)

    def save_pair(a: Any, b: Any, b_side: Any, name: str, caption: str) -> None:
        if a in present:
            fig = plot_confusion_grid(view.confusion(view.column(a), b_side), a, b)
            if fig is not None:
                save(fig, name, caption)

    if gold is not None and view.has_gold:
        for k, a in enumerate(annotators, 1):
            save_pair(a, "gold", view.gold_column(), f"confusion-gold-{k}.png", f"{a} × gold ({gold})")
    pairs = list(itertools.combinations(annotators, 2))
    for k, (a, b) in enumerate(pairs[:MAX_PAIRS], 1):
        if b in present:
            save_pair(a, b, view.column(b), f"confusion-{k}.png", f"{a} × {b}")
    page = out / "index.html"
    page.write_text(_html(task, info, report, figures, len(pairs)), encoding="utf-8")
    return page


def _html_table(frame: pd.DataFrame, index_name: str | None = None) -> str:
    """A DataFrame as an HTML table; every header and cell is escaped."""
    e = html.escape
    head = "".join(f"<th>{e(str(c))}</th>" for c in [index_name or frame.index.name or "", *frame.columns])
    body = []
    for key, row in zip(frame.index, frame.itertuples(index=False), strict=True):
        cells = "".join(
            f'<td class="num">{e(_cell(v))}</td>'
            if isinstance(v, numbers.Number) and not isinstance(v, bool)
            else f"<td>{e(_cell(v))}</td>"
            for v in row
        )
        body.append(f"<tr><th>{e(_cell(key))}</th>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


#: Defence in depth: even if some user text escaped escaping, the page runs no script and loads
#: nothing but its own images.
_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;margin:2rem auto;
max-width:70rem;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
.meta{color:#666}figure{display:inline-block;margin:.5rem 1rem .5rem 0;vertical-align:top}
figcaption{color:#666;font-size:.9rem}img{max-width:100%;height:auto;border:1px solid #eee}
table{border-collapse:collapse;margin:.5rem 0;font-size:13px}
th,td{padding:.25rem .6rem;border-bottom:1px solid #eee;text-align:left;white-space:nowrap}
thead th{border-bottom:2px solid #ccc}td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#666;font-size:.9rem}
"""


def _html(task: str, info: Any, report: Any, figures: list[tuple[str, str]], n_pairs: int) -> str:
    e = html.escape
    labels = ", ".join(str(label) for label in info.labels)
    n_dis = len(report.disagreements)
    notes = "".join(
        f"<li>{e(str(c))}: {e(str(n))}</li>"
        for c, n in zip(report["coefficient"], report["note"], strict=True)
        if n
    )
    figures_html = "".join(
        f'<figure><img src="{e(name)}" alt="{e(caption)}"><figcaption>{e(caption)}</figcaption></figure>'
        for name, caption in figures
    )
    skipped_pairs = (
        f'<p class="note">Confusion plots for the first {MAX_PAIRS} of {n_pairs} annotator pairs.</p>'
        if n_pairs > MAX_PAIRS
        else ""
    )
    more = (
        f'<p class="note">First {MAX_DISAGREEMENTS} of {n_dis} items.</p>'
        if n_dis > MAX_DISAGREEMENTS
        else ""
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nblabel report: {e(task)}</title><style>{_CSS}</style></head>
<body>
<h1>Agreement report: {e(task)}</h1>
<p class="meta">{e(info.kind)}{" (multi-label)" if report.multi else ""} · labels: {e(labels)} ·
reference for accuracy: {e(report.reference)}</p>
<h2>Coefficients</h2>
{_html_table(report.drop(columns=["note"]).set_index("coefficient"), "coefficient")}
{f'<ul class="note">{notes}</ul>' if notes else ""}
<h2>Plots</h2>
{figures_html}
{skipped_pairs}
<h2>Annotators</h2>
{_html_table(report.per_annotator, "annotator")}
<h2>Labels</h2>
{_html_table(report.per_label, "label")}
<h2>Disagreements ({n_dis} items)</h2>
{_html_table(report.disagreements.head(MAX_DISAGREEMENTS), "item_id") if n_dis else "<p>None.</p>"}
{more}
</body></html>
"""


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
