import { describe, expect, it, vi } from "vitest";
import { ItemWindow } from "./window.js";

/** A kernel window message; `items` are keys (payload {text: key}) or full item objects. */
function windowMsg({ view = 0, current, upcoming = [], prev = null, next = null, items, prefetch = 5 }) {
  const keys = items ?? [current, ...upcoming, prev, next].filter((k) => k !== null && k !== undefined);
  return {
    type: "window",
    view,
    current,
    upcoming,
    prev,
    next,
    prefetch,
    items: [...new Set(keys)].map((k, i) =>
      typeof k === "string" ? { key: k, rank: i + 1, status: null, value: null, flag: null, payload: { text: k } } : k,
    ),
  };
}

/** The browser's side: a label sends a message (new view) then moves optimistically. */
function label(win, value = 0) {
  win.nextView();
  return win.commitCurrent("label", value);
}

describe("accept", () => {
  it("takes the kernel's window", () => {
    const win = new ItemWindow();
    expect(win.waiting).toBe(true);
    expect(win.accept(windowMsg({ current: "a", upcoming: ["b", "c"], next: "b" }))).toBe(true);
    expect(win.current).toBe("a");
    expect(win.item.payload).toEqual({ text: "a" });
    expect(win.upcoming).toEqual(["b", "c"]);
    expect(win.next).toBe("b");
    expect(win.waiting).toBe(false);
    expect(win.complete).toBe(true); // fewer upcoming than the prefetch size: that's all
    expect(win.haveKeys().sort()).toEqual(["a", "b", "c"]);
  });

  it("ignores windows answering an older view", () => {
    const win = new ItemWindow();
    win.accept(windowMsg({ current: "a", upcoming: ["b"] }));
    win.nextView(); // 1
    win.nextView(); // 2
    expect(win.accept(windowMsg({ view: 1, current: "z", upcoming: [] }))).toBe(false);
    expect(win.current).toBe("a");
    expect(win.items.has("z")).toBe(false);
    expect(win.accept(windowMsg({ view: 2, current: "b", upcoming: [] }))).toBe(true);
    expect(win.current).toBe("b");
  });

  it("keeps held payloads when the kernel leaves them out, and converts/releases new ones", () => {
    const win = new ItemWindow();
    const convert = vi.fn((p) => ({ ...p, converted: true }));
    const release = vi.fn();
    win.accept(windowMsg({ current: "a", upcoming: ["b"] }), { convert, release });
    expect(convert).toHaveBeenCalledTimes(2);
    const held = win.items.get("b").payload;
    // the kernel knows we hold "b": no payload this time, but its status changed
    win.accept(
      windowMsg({
        current: "b",
        upcoming: [],
        items: [{ key: "b", rank: 2, status: "label", value: 1, flag: null }],
      }),
      { convert, release },
    );
    expect(convert).toHaveBeenCalledTimes(2);
    expect(win.items.get("b").payload).toBe(held);
    expect(win.items.get("b").status).toBe("label");
    // a new payload for a held item releases the old one
    win.accept(windowMsg({ current: "b", upcoming: [] }), { convert, release });
    expect(release).toHaveBeenCalledWith(held);
  });

  it("waits when the current item's payload is missing", () => {
    const win = new ItemWindow();
    win.accept(
      windowMsg({ current: "x", upcoming: [], items: [{ key: "x", rank: 1, status: null, value: null, flag: null }] }),
    );
    expect(win.items.has("x")).toBe(false);
    expect(win.item).toBeNull();
    expect(win.waiting).toBe(true);
  });

  it("a window with no current item is done, not waiting", () => {
    const win = new ItemWindow();
    win.accept(windowMsg({ current: null, upcoming: [], items: [] }));
    expect(win.current).toBeNull();
    expect(win.waiting).toBe(false);
  });
});

describe("commitCurrent", () => {
  it("advances to the next unlabeled item at once", () => {
    const win = new ItemWindow();
    win.accept(windowMsg({ current: "a", upcoming: ["b", "c", "d", "e", "f"], next: "b" }));
    expect(label(win, 2)).toBe("a");
    expect(win.current).toBe("b");
    expect(win.waiting).toBe(false);
    expect(win.items.get("a").status).toBe("label");
    expect(win.items.get("a").value).toBe(2);
    expect(win.prev).toBe("a");
    expect(win.upcoming).toEqual(["c", "d", "e", "f"]);
    expect(label(win)).toBe("b");
    expect(win.current).toBe("c");
  });

  it("skips items already labeled or skipped optimistically", () => {
    const win = new ItemWindow();
    win.accept(windowMsg({ current: "a", upcoming: ["b", "c", "d"] }));
    win.items.set("b", { ...win.items.get("b"), status: "label", value: 1 });
    win.items.set("c", { ...win.items.get("c"), status: "skip", value: null });
    label(win);
    expect(win.current).toBe("d");
    expect(win.upcoming).toEqual([]);
  });

  it("reaches done when the kernel said the list was complete", () => {
    const win = new ItemWindow();
    win.accept(windowMsg({ current: "a", upcoming: ["b"], prefetch: 5 }));
    label(win);
    label(win);
    expect(win.current).toBeNull();
    expect(win.waiting).toBe(false); // "All done", no spinner
    expect(label(win)).toBeNull(); // nothing to label
  });

  it("waits for the kernel at a calibration gate (the kernel says more may open)", () => {
    const win = new ItemWindow();
    win.accept({ ...windowMsg({ current: "a", upcoming: ["b"], prefetch: 5 }), more: true });
    expect(win.complete).toBe(false);
    label(win);
    label(win);
    expect(win.current).toBeNull();
    expect(win.waiting).toBe(true); // "Loading…", never a false "All done"
  });

  it("waits for the kernel when the prefetched list runs out but more remain", () => {
    const win = new ItemWindow();
    win.accept(windowMsg({ current: "a", upcoming: ["b", "c"], prefetch: 2 }));
    expect(win.complete).toBe(false);
    label(win);
    label(win);
    label(win);
    expect(win.current).toBeNull();
    expect(win.waiting).toBe(true);
  });

  it("waits when the next item's payload is not held yet", () => {
    const win = new ItemWindow();
    win.accept(
      windowMsg({
        current: "a",
        upcoming: ["b"],
        items: [{ key: "a", rank: 1, status: null, value: null, flag: null, payload: { text: "a" } }],
      }),
    );
    label(win);
    expect(win.current).toBeNull();
    expect(win.waiting).toBe(true);
  });

  it("after navigating, waits for the kernel's idea of what comes next", () => {
    const win = new ItemWindow();
    win.accept(windowMsg({ current: "a", upcoming: ["b", "c"], next: "b" }));
    win.nextView();
    win.step(1); // to b: upcoming describes a
    label(win);
    expect(win.current).toBeNull();
    expect(win.waiting).toBe(true);
  });
});

describe("undoLocal", () => {
  it("restores the previous item with its previous state", () => {
    const win = new ItemWindow();
    win.accept(windowMsg({ current: "a", upcoming: ["b", "c"] }));
    label(win, 1);
    label(win, 2);
    expect(win.current).toBe("c");
    win.nextView();
    expect(win.undoLocal()).toBe("b");
    expect(win.current).toBe("b");
    expect(win.items.get("b").status).toBeNull();
    expect(win.items.get("b").value).toBeNull();
    expect(win.upcoming[0]).toBe("c"); // the item we left comes back next
    expect(win.waiting).toBe(false);
    expect(win.undoLocal()).toBe("a");
    expect(win.current).toBe("a");
    expect(win.items.get("a").status).toBeNull();
  });

  it("restores a relabel to the earlier label", () => {
    const win = new ItemWindow();
    win.accept(
      windowMsg({
        current: "a",
        upcoming: ["b"],
        items: [
          { key: "a", rank: 1, status: "label", value: 0, flag: null, payload: {} },
          { key: "b", rank: 2, status: null, value: null, flag: null, payload: {} },
        ],
      }),
    );
    label(win, 2);
    win.undoLocal();
    expect(win.items.get("a")).toMatchObject({ status: "label", value: 0 });
  });

  it("with nothing to undo locally, waits for the kernel (it may undo an older label)", () => {
    const win = new ItemWindow();
    win.accept(windowMsg({ current: "a", upcoming: [] }));
    expect(win.undoLocal()).toBeNull();
    expect(win.current).toBeNull();
    expect(win.waiting).toBe(true);
  });

  it("keeps at most 50 entries of history", () => {
    const win = new ItemWindow();
    const keys = Array.from({ length: 60 }, (_, i) => `k${i}`);
    for (const k of keys) {
      win.accept(windowMsg({ view: win.sentView, current: k, upcoming: [] }));
      label(win);
    }
    expect(win.history.length).toBe(50);
    expect(win.history[0].key).toBe("k10");
  });
});

describe("step", () => {
  it("moves to prev/next when held", () => {
    const win = new ItemWindow();
    win.accept(windowMsg({ current: "b", upcoming: ["c"], prev: "a", next: "c" }));
    expect(win.step(-1)).toBe("a");
    expect(win.current).toBe("a");
    expect(win.waiting).toBe(false);
    expect(win.stale).toBe(true);
  });

  it("uses next", () => {
    const win = new ItemWindow();
    win.accept(windowMsg({ current: "b", upcoming: ["c"], prev: "a", next: "c" }));
    expect(win.step(1)).toBe("c");
    expect(win.current).toBe("c");
  });

  it("waits when the neighbour is not held or not known", () => {
    const win = new ItemWindow();
    win.accept(
      windowMsg({
        current: "b",
        upcoming: [],
        prev: "a",
        next: null,
        items: [{ key: "b", rank: 2, status: null, value: null, flag: null, payload: {} }],
      }),
    );
    expect(win.step(-1)).toBe("a");
    expect(win.current).toBeNull();
    expect(win.waiting).toBe(true);
    // a second step before the kernel answers: neighbours are stale, so keep waiting
    expect(win.step(1)).toBeNull();
    expect(win.current).toBeNull();
    expect(win.waiting).toBe(true);
  });

  it("stays on the item when the kernel said there is nothing in that direction", () => {
    const win = new ItemWindow();
    win.accept(windowMsg({ current: "a", upcoming: ["b"], prev: null, next: "b" }));
    expect(win.step(-1)).toBeNull();
    expect(win.current).toBe("a");
    expect(win.waiting).toBe(false);
  });

  it("from done, stays done until the kernel brings back the last item", () => {
    const win = new ItemWindow();
    win.accept(windowMsg({ current: null, upcoming: [], items: [] }));
    expect(win.step(-1)).toBeNull();
    expect(win.current).toBeNull();
    expect(win.waiting).toBe(false);
    win.nextView();
    win.accept(windowMsg({ view: win.sentView, current: "z", upcoming: [], prev: "y" }));
    expect(win.current).toBe("z");
  });

  it("a stale step from an item waits for the kernel", () => {
    const win = new ItemWindow();
    win.accept(windowMsg({ current: "b", upcoming: ["c"], prev: "a", next: "c" }));
    win.step(1); // to c; neighbours of c not known yet
    expect(win.step(1)).toBeNull();
    expect(win.current).toBeNull();
    expect(win.waiting).toBe(true);
  });
});

describe("eviction", () => {
  it("drops the oldest extras beyond 20, releasing their payloads, but keeps history items", () => {
    const win = new ItemWindow();
    const release = vi.fn();
    const convert = (p) => ({ ...p });
    win.accept(windowMsg({ current: "first", upcoming: [] }), { convert, release });
    label(win); // "first" is in the undo history
    for (let i = 0; i < 30; i++) {
      win.accept(windowMsg({ view: win.sentView, current: `k${i}`, upcoming: [] }), { convert, release });
    }
    // held: the current item, "first" (history) and 20 recent extras
    expect(win.items.has("first")).toBe(true);
    expect(win.items.has("k29")).toBe(true);
    expect(win.items.size).toBe(1 + 1 + 20);
    const dropped = release.mock.calls.map(([payload]) => payload.text);
    expect(dropped).toEqual(Array.from({ length: 9 }, (_, i) => `k${i}`));
    for (const key of dropped) expect(win.items.has(key)).toBe(false);
    expect(new Set(win.haveKeys())).toEqual(new Set(win.items.keys()));
  });
});

describe("setFlag", () => {
  it("notes a flag on a held item only", () => {
    const win = new ItemWindow();
    win.accept(windowMsg({ current: "a", upcoming: [] }));
    win.setFlag("a", "odd one");
    win.setFlag("zzz", "ignored");
    expect(win.items.get("a").flag).toBe("odd one");
    expect(win.items.has("zzz")).toBe(false);
  });
});

describe("several views of one widget", () => {
  it("judges a window by how far the kernel got with this view's own messages", () => {
    const win = new ItemWindow();
    win.nextView(); // hello = view 1 of client "A"
    win.nextView(); // a label = view 2
    // The kernel answers another view ("B") after handling only A's hello: stale for A.
    const stale = { ...windowMsg({ view: 7, current: "x" }), views: { A: 1, B: 7 } };
    expect(win.accept(stale, { client: "A" })).toBe(false);
    // Once A's label is handled, windows (whoever they answer) apply again.
    const fresh = { ...windowMsg({ view: 7, current: "y" }), views: { A: 2, B: 7 } };
    expect(win.accept(fresh, { client: "A" })).toBe(true);
    expect(win.current).toBe("y");
  });

  it("treats a view the kernel has not heard from as at 0", () => {
    const win = new ItemWindow();
    win.nextView();
    const msg = { ...windowMsg({ view: 5, current: "x" }), views: { B: 5 } };
    expect(win.accept(msg, { client: "A" })).toBe(false);
  });
});

describe("setSuggestion", () => {
  it("keeps a late suggestion in its item's payload and says when the item on screen changed", () => {
    const win = new ItemWindow();
    win.accept(windowMsg({ current: "a", upcoming: ["b"] }));
    expect(win.setSuggestion("a", 1)).toBe(true);
    expect(win.item.payload.suggestion).toBe(1);
    expect(win.setSuggestion("b", [[0, 3, 0]])).toBe(false); // held, not on screen
    expect(win.items.get("b").payload.suggestion).toEqual([[0, 3, 0]]);
  });

  it("never replaces a suggestion, and leaves unknown items and errors alone", () => {
    const win = new ItemWindow();
    win.accept(windowMsg({ current: "a", items: [{ key: "a", rank: 1, status: null, value: null, flag: null, payload: { text: "a", suggestion: 0 } }, { key: "e", rank: 2, status: null, value: null, flag: null, payload: { error: "bad image" } }] }));
    expect(win.setSuggestion("a", 1)).toBe(false);
    expect(win.item.payload.suggestion).toBe(0);
    expect(win.setSuggestion("e", 1)).toBe(false);
    expect(win.items.get("e").payload.suggestion).toBeUndefined();
    expect(win.setSuggestion("zz", 1)).toBe(false);
    expect(win.setSuggestion("a", null)).toBe(false);
  });
});
