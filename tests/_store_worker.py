"""A process that writes events into one store (used by the multi-process store test)."""

from __future__ import annotations

import traceback


def write_events(url: str, worker: int, count: int, barrier) -> tuple[int, int, str]:
    """Open the store, register the task, wait for the others, append ``count`` events.

    Returns ``(written, duplicates_reported, error)``.
    """
    try:
        from nblabel.core.event import Event
        from nblabel.store import Store

        store = Store(url)
        store.register_task("concurrent", "classify", ["a", "b"])
        barrier.wait(timeout=60)
        written = dupes = 0
        for seq in range(1, count + 1):
            event = Event(
                task="concurrent",
                item_id=str(seq),
                item_kind="int",
                annotator=f"w{worker}",
                kind="label",
                value="a" if seq % 2 else "b",
                active_ms=seq,
                client_id=f"proc-{worker}",
                client_seq=seq,
            )
            if store.append(event):
                written += 1
            if seq % 50 == 0 and store.append(event):  # a retried write must be a no-op
                dupes += 1
        store.close()
        return written, dupes, ""
    except Exception:
        return 0, 0, traceback.format_exc()
