// The browser's view of the queue: the items it holds, which one is on screen, and the
// optimistic moves it makes before the kernel confirms them. Pure logic, no DOM.

export class ItemWindow {
  constructor() {
    this.items = new Map(); // key -> {key, rank, status, value, flag, payload}
    this.current = null; // key on screen, or null (done / loading)
    this.upcoming = []; // next unlabeled keys after `current`, in serving order
    this.complete = false; // `upcoming` lists every remaining item
    this.prev = null;
    this.next = null;
    this.waiting = true; // the screen waits for the kernel
    this.stale = false; // upcoming/prev/next describe an item no longer on screen
    this.sentView = 0; // latest view number sent to the kernel
    this.history = []; // [{key, status, value}] what each local action replaced, for undo
  }

  /** A new view number for a message to the kernel. */
  nextView() {
    this.sentView += 1;
    return this.sentView;
  }

  /**
   * Merge a window from the kernel. Windows answering an older view than the latest one sent
   * are ignored (a newer answer is on its way). `convert(raw)` turns a raw payload into the
   * payload kept; `release(payload)` frees one that is dropped. Returns whether it applied.
   */
  accept(msg, { convert = (p) => p, release = () => {}, client = null } = {}) {
    const handled = client !== null && msg.views ? (msg.views[client] ?? 0) : msg.view;
    if (handled < this.sentView) return false;
    const keep = new Set();
    for (const raw of msg.items) {
      const old = this.items.get(raw.key);
      let payload = old ? old.payload : undefined;
      if (raw.payload !== undefined) {
        if (old && old.payload) release(old.payload);
        payload = convert(raw.payload);
      }
      if (payload === undefined) continue; // the kernel thought we had it; ask again later
      this.items.set(raw.key, { ...raw, payload });
      keep.add(raw.key);
    }
    this.current = msg.current;
    this.upcoming = msg.upcoming.slice();
    // `more`: finishing these items may open others (a session's calibration gate)
    this.complete = msg.upcoming.length < (msg.prefetch ?? Infinity) && !msg.more;
    this.prev = msg.prev;
    this.next = msg.next;
    this.stale = false;
    this.waiting = msg.current !== null && !this.items.has(msg.current);
    for (const entry of this.history) keep.add(entry.key);
    this.evict(keep, release);
    return true;
  }

  /** Drop items not in `keep`, keeping at most a few recent extras for back navigation. */
  evict(keep, release) {
    const extras = [];
    for (const key of this.items.keys()) if (!keep.has(key)) extras.push(key);
    const drop = extras.slice(0, Math.max(0, extras.length - 20));
    for (const key of drop) {
      release(this.items.get(key).payload);
      this.items.delete(key);
    }
  }

  /**
   * A model's suggestion that arrived after its item (the kernel computes them in the
   * background): kept in the item's payload unless it has one already. Returns whether the item
   * on screen changed (it is drawn again); an item the browser does not hold is left alone.
   */
  setSuggestion(key, suggestion) {
    const item = this.items.get(key);
    if (!item || !item.payload || item.payload.error !== undefined) return false;
    if (item.payload.suggestion !== undefined && item.payload.suggestion !== null) return false;
    if (suggestion === undefined || suggestion === null) return false;
    item.payload.suggestion = suggestion;
    return key === this.current;
  }

  /** Keys the browser holds, so the kernel can leave their payloads out. */
  haveKeys() {
    return Array.from(this.items.keys());
  }

  get item() {
    return this.current === null ? null : this.items.get(this.current) || null;
  }

  /** Record a label or skip of the current item and move to the next unlabeled one. */
  commitCurrent(status, value) {
    const item = this.item;
    if (!item) return null;
    this.history.push({ key: item.key, status: item.status, value: item.value });
    if (this.history.length > 50) this.history.shift();
    this.items.set(item.key, { ...item, status, value });
    this.advanceFrom(item.key);
    return item.key;
  }

  advanceFrom(key) {
    if (this.stale) {
      this.current = null;
      this.waiting = true;
      return;
    }
    const rest = this.upcoming.filter((k) => k !== key && !this.items.get(k)?.status);
    const nextKey = rest.length ? rest[0] : null;
    this.prev = key;
    this.next = null;
    this.stale = true; // prev/next of the new item come with the kernel's next window
    if (nextKey !== null && this.items.has(nextKey)) {
      this.current = nextKey;
      this.upcoming = rest.slice(1);
      this.stale = false;
      this.waiting = false;
      this.next = null;
    } else if (nextKey === null && this.complete) {
      this.current = null;
      this.upcoming = [];
      this.waiting = false;
    } else {
      this.current = null;
      this.waiting = true;
    }
  }

  /** Undo the latest local action: show the item again with what it had before. */
  undoLocal() {
    const entry = this.history.pop();
    if (!entry) {
      this.current = null;
      this.waiting = true;
      return null;
    }
    const item = this.items.get(entry.key);
    if (item) {
      this.items.set(entry.key, { ...item, status: entry.status, value: entry.value });
      if (this.current !== null && this.current !== entry.key) {
        this.upcoming = [this.current, ...this.upcoming.filter((k) => k !== this.current)];
      }
      this.current = entry.key;
      this.waiting = false;
    } else {
      this.current = null;
      this.waiting = true;
    }
    this.stale = true;
    return entry.key;
  }

  /** Move to the previous (-1) or next (+1) item in serving order, if the browser has it. */
  step(direction) {
    const key = this.stale ? null : direction < 0 ? this.prev : this.next;
    // The kernel said there is nothing that way (first or last item): stay on this one.
    if (key === null && !this.stale && this.current !== null) return null;
    if (key !== null && this.items.has(key)) {
      this.current = key;
      this.waiting = false;
    } else {
      // Already waiting stays waiting (a second key press must not show "All done").
      this.waiting = this.waiting || this.current !== null || key !== null;
      if (this.waiting) this.current = null;
    }
    this.stale = true;
    return key;
  }

  /** Update the item's flag note locally. */
  setFlag(key, comment) {
    const item = this.items.get(key);
    if (item) this.items.set(key, { ...item, flag: comment });
  }
}
