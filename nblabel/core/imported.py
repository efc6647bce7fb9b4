"""What a file format's reader gives the store (:class:`ImportedTask`) and what an import
reports back (:class:`ImportSummary`): plain data, here so that the store (which writes an
import) and :mod:`nblabel.exchange` (whose formats read files) share them without importing
each other."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["EVENT_COLUMNS", "OPTIONAL_EVENT_COLUMNS", "ImportSummary", "ImportedTask"]

#: The columns every :attr:`ImportedTask.events` frame has.
EVENT_COLUMNS = ("item_id", "annotator", "kind", "value", "created_at", "active_ms", "suggestion", "source")
#: Columns it may have: ``comment`` (text), ``swapped`` (compare: the second response was shown on
#: the left to this annotator; passed to the kind's check as ``ItemContext.swapped``).
OPTIONAL_EVENT_COLUMNS = ("comment", "swapped")


@dataclass
class ImportedTask:
    """One task read from another tool's file, in nblabel's terms, not yet checked or written.

    ``events`` has one row per event, in the order they happened in the file: ``item_id`` (the
    item's id, any type :mod:`nblabel.core.ids` encodes), ``annotator`` (text), ``kind``
    (``"label"`` or ``"skip"``), ``value`` (the kind's stored form; ``None`` for a skip),
    ``created_at`` (UTC ``Timestamp`` or ``NaT``), ``active_ms`` (``Int64``, ``<NA>`` when
    unknown), ``suggestion`` (a value in stored form or ``None``), ``source`` (where the row is
    in the file, as errors name it: ``"line 12"``, ``"task 3, annotation 2"``), and optionally
    :data:`OPTIONAL_EVENT_COLUMNS`. ``items`` is indexed by item id: what each item showed,
    with the columns the kind's widget keeps in the store (``text``; ``image``, ``width``,
    ``height``; ``prompt``, ``a``, ``b``).
    """

    #: A registered task kind's name ("classify", "spans", "boxes", "compare", ...).
    kind: str
    #: The task's label set, in first-seen order.
    labels: list[Any]
    #: The task's config as widgets record it (``{"multi": True}``, compare's ``a``/``b``).
    config: dict[str, Any]
    #: One row per event (see above).
    events: pd.DataFrame
    #: What each item showed, indexed by item id.
    items: pd.DataFrame


@dataclass(frozen=True)
class ImportSummary:
    """What :meth:`Store.import_file <nblabel.store.Store.import_file>` did."""

    #: The task imported into, and its kind.
    task: str
    kind: str
    #: The file and its format.
    path: Path
    format: str
    #: Items and annotators the file holds, and its events.
    items: int
    annotators: list[str] = field(default_factory=list)
    events: int = 0
    #: Events written now, and events an earlier import of the same file already wrote.
    written: int = 0
    already_present: int = 0
    #: Items whose content was written now (an item already stored keeps its first copy).
    items_written: int = 0

    def __str__(self) -> str:
        who = f"{len(self.annotators)} annotator{'' if len(self.annotators) == 1 else 's'}"
        return (
            f"imported {self.path.name} ({self.format}) into task {self.task!r} ({self.kind}): "
            f"{self.items} items, {who}, {self.events} events — {self.written} written, "
            f"{self.already_present} already present"
        )
