// Pure text of the labeler's status pieces: the progress line and counts, the banner, the save
// state, the footer and the item's meta line. No DOM: the shell draws what these return.

/** "12 / 40 labeled · 3 skipped · 1 flagged" from the kernel's `_progress`. */
export function progressLine(p) {
  return (
    `${p.labeled || 0} / ${p.total || 0} labeled` +
    (p.skipped ? ` · ${p.skipped} skipped` : "") +
    (p.flagged ? ` · ${p.flagged} flagged` : "")
  );
}

/** The progress bar's width: the share of items labeled or skipped, as a CSS percentage. */
export function progressWidth(p) {
  const total = p.total || 0;
  const done = (p.labeled || 0) + (p.skipped || 0);
  return total ? `${(100 * done) / total}%` : "0%";
}

/**
 * The per-label counts to show: `shown` as [label index, count] pairs and `more`, the number of
 * labels in use that are left out (0 when none). A large label set sends only its most used
 * labels (`top`, [index, count] pairs) and how many labels are in use (`used`); a small one a
 * count per label (`counts`).
 */
export function countsShown(p, labels) {
  const shown = p.top ? p.top.filter(([i]) => i < labels.length) : labels.map((_, i) => [i, (p.counts || [])[i] || 0]);
  const more = p.top && labels.length && p.used > shown.length ? p.used - shown.length : 0;
  return { shown, more };
}

/** The banner: the store's trouble (from `_status`) and the latest error message, or "". */
export function bannerText(status, transientError, suggest = {}) {
  let text = "";
  if (status.state && status.state !== "ok") text = status.message || "The store is unavailable; retrying.";
  if (transientError) text = text ? `${text} · ${transientError}` : transientError;
  // a model's failure (suggest=): labeling goes on without its suggestions
  if (suggest && suggest.error) text = text ? `${text} · ${suggest.error}` : suggest.error;
  return text;
}

/**
 * The save state in the footer: `{text, state}` with state "error" (the store is failing:
 * events waiting or refused), "saving" (`unsaved` events not acknowledged yet) or "saved".
 */
export function saveState(status, unsaved) {
  if (status.state && status.state !== "ok") {
    const waiting = status.pending || unsaved;
    const parts = [];
    if (waiting || !status.failed) parts.push(`${waiting} waiting`);
    if (status.failed) parts.push(`${status.failed} refused`);
    return { text: `Not saved: ${parts.join(", ")}`, state: "error" };
  }
  if (unsaved) return { text: `Saving… (${unsaved})`, state: "saving" };
  return { text: "All changes saved", state: "saved" };
}

/** The footer's "task · annotator · store" line; the store by `storeName`. */
export function whereLine(config) {
  return `task ${config.task} · annotator ${config.annotator} · store ${storeName(config.store)}`;
}

/**
 * How the footer names a store location (`Store.location`, which never holds a password): a
 * SQLite file by its file name (`nblabel.db`), short enough to read at a glance; anything else as
 * given (`postgresql://db.example.org/labels`, `:memory:`). The full location is the footer's
 * tooltip.
 */
export function storeName(location) {
  const text = String(location ?? "");
  if (!text || text.includes("://") || text === ":memory:") return text;
  const parts = text.split(/[\\/]/).filter(Boolean);
  return parts.length ? parts[parts.length - 1] : text;
}

/** The item's meta line: its id, its place in the queue, and whether it is labeled or skipped. */
export function itemMetaLine(item, total) {
  const meta = [`Item ${item.payload.id}`, `#${item.rank} of ${total}`];
  if (item.status === "label") meta.push("labeled");
  if (item.status === "skip") meta.push("skipped");
  return meta.join(" · ");
}

/**
 * Why the item on screen is served now (an active ordering: the model's score, the cold start, or a
 * failed refit), or "" when the kernel sent no reason (no active ordering). Shown as text.
 */
export function whyLine(item) {
  const why = item && typeof item.why === "string" ? item.why.trim() : "";
  return why ? `Why this item: ${why}` : "";
}

/** The flag note beside the meta line ("" comment: flagged without one). */
export function flagNote(comment) {
  return `⚑ flagged${comment ? `: ${comment}` : ""}`;
}

/** After "All done.": what was done and how to go back. */
export function doneLine(p, prevKey) {
  return ` ${p.labeled || 0} labeled, ${p.skipped || 0} skipped. Press ${prevKey} to review.`;
}
