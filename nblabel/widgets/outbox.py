"""A widget's outbox: the events it accepted but has not committed yet, written in order.

Never lose a label: an event leaves the outbox only once the store committed it, or — when the
database refuses that event itself (:func:`nblabel.failures.is_permanent`) — it is set aside as
*failed*, kept with the reason, so that the events behind it can go on. Transient failures
(locked, disk full, read-only, connection lost, file deleted) stop the flush and keep every
event, in order, for the next attempt.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.event import Event, now_us
from ..store.failures import describe, is_permanent
from ..store.store import Store

__all__ = ["Outbox", "Outgoing", "Failed", "FlushResult"]


@dataclass
class Outgoing:
    """One accepted event and what waits on it."""

    event: Event
    #: The browser's ids of the action, acknowledged once the event is committed.
    seqs: list[Any] = field(default_factory=list)
    #: For a retract of an event still in the outbox when it was undone: that event's
    #: ``client_seq`` (its store id, which the retract records, is known once it is written).
    target_seq: int | None = None


@dataclass
class Failed:
    """An event the database refused, set aside with the reason."""

    outgoing: Outgoing
    reason: str
    failed_us: int = field(default_factory=now_us)


@dataclass
class FlushResult:
    """What one flush did: events committed (with their store ids), events set aside, retracts
    dropped because the event they undid had been set aside, and the transient error that
    stopped it (``None`` when the outbox is empty)."""

    committed: list[tuple[Outgoing, int]] = field(default_factory=list)
    failed: list[Failed] = field(default_factory=list)
    dropped: list[Outgoing] = field(default_factory=list)
    error: BaseException | None = None


class Outbox:
    """Pending events of one widget (``client_id``), written to ``store`` strictly in order."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.pending: list[Outgoing] = []
        self.failed: list[Failed] = []
        # client_seq -> store id of this widget's committed events (retracts resolve through it)
        self._ids_by_seq: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self.pending)

    def add(self, outgoing: Outgoing) -> None:
        """Queue an event behind the pending ones."""
        self.pending.append(outgoing)

    def committed_id(self, client_seq: int) -> int | None:
        """The store id of this widget's event ``client_seq``, once committed."""
        return self._ids_by_seq.get(client_seq)

    def flush(self, item_for: Callable[[Event], Mapping[str, Any] | None]) -> FlushResult:
        """Write pending events in order until one fails transiently (or none is left).

        ``item_for(event)`` gives what the item showed, stored with its first label (a
        convenience: if the database refuses it, the event is written without it).
        """
        result = FlushResult()
        while self.pending:
            out = self.pending[0]
            event = out.event
            if out.target_seq is not None:
                target = self._ids_by_seq.get(out.target_seq)
                if target is None:
                    # The undone event was set aside as failed: undoing it discards it.
                    self.failed = [f for f in self.failed if f.outgoing.event.client_seq != out.target_seq]
                    self.pending.pop(0)
                    result.dropped.append(out)
                    continue
                event = dataclasses.replace(event, value={"retracts": target})
                out.event, out.target_seq = event, None
            try:
                event_id = self._write(event, item_for(event))
            except Exception as exc:
                if not is_permanent(exc):
                    result.error = exc
                    return result
                failed = Failed(out, describe(exc, [self.store.url.password]))
                self.pending.pop(0)
                self.failed.append(failed)
                result.failed.append(failed)
                continue
            self.pending.pop(0)
            if event.client_seq is not None:
                self._ids_by_seq[event.client_seq] = event_id
            result.committed.append((out, event_id))
        return result

    def _write(self, event: Event, item: Mapping[str, Any] | None) -> int:
        try:
            return self.store.write(event, item=item)
        except Exception as exc:
            if item is None or not is_permanent(exc):
                raise
        return self.store.write(event, item=None)  # the item's copy was refused, not the event

    def requeue_failed(self) -> int:
        """Put every failed event back behind the pending ones (to try again); returns how many."""
        again = [f.outgoing for f in self.failed]
        self.failed = []
        self.pending.extend(again)
        return len(again)

    def discard_failed(self) -> list[Failed]:
        """Forget the failed events; returns them."""
        gone, self.failed = self.failed, []
        return gone
