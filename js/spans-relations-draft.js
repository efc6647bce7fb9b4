// Relations in the draft of an item (spans-draft.js): drawing one (`d.linking`: {head, child},
// span keys; the child is chosen with the arrows or a click), adding it with a relation label,
// selecting, relabeling and removing arcs. Pure logic, no DOM; each change is remembered, so
// Backspace undoes it like a span change.

import { quote, remember } from "./spans-draft.js";
import { addRelation, spanKey, spanKeyAt, stepChild, stepRelation } from "./spans-relations-model.js";

/** The notice when a relation cannot start: there is nothing to link. */
export const NEED_TWO = "Relations link two spans: tag at least two spans first.";

/** “text” of the span with key `key`. */
export function quoteKey(text, key) {
  const [s, e] = key.split(":").map(Number);
  return quote(text, [s, e]);
}

/** The key of the selected span, or null. */
const selectedSpan = (d) => (d.selected && d.selected.kind === "span" && d.spans[d.selected.index] ? spanKey(d.spans[d.selected.index]) : null);

/**
 * `r`: start drawing a relation from the selected span, else from the span under the token
 * cursor (`cursorOffset`: the UTF-16 offset of its start, or null), else from the first span;
 * the child starts on the span after it. With fewer than two spans, says so. Returns whether
 * the draft changed.
 */
export function startRelation(d, cursorOffset) {
  if (d.spans.length < 2) {
    d.notice = NEED_TWO;
    return true;
  }
  const head = selectedSpan(d) ?? (cursorOffset === null ? null : spanKeyAt(d.spans, cursorOffset)) ?? spanKey(d.spans[0]);
  d.linking = { head, child: stepChild(d.spans, head, null, 1) };
  d.selected = null;
  d.cursor = null;
  d.notice = "";
  return true;
}

/** Shift+click (or Alt+click) on span `key`: it becomes the child of the relation being drawn,
 * or of one from the selected span; with neither, it is selected (the next such click links
 * from it). Returns false when nothing changed. */
export function linkToSpan(d, key) {
  const head = d.linking ? d.linking.head : selectedSpan(d);
  if (!head) {
    const index = d.spans.findIndex((s) => spanKey(s) === key);
    if (index < 0) return false;
    d.selected = { kind: "span", index };
    d.cursor = null;
    return true;
  }
  if (head === key) return false;
  d.linking = { head, child: key };
  d.selected = null;
  d.cursor = null;
  d.notice = "";
  return true;
}

/** Arrows and Tab: the next (`step` 1) or previous (-1) span as the child. */
export function moveChild(d, step) {
  if (!d.linking) return false;
  d.linking.child = stepChild(d.spans, d.linking.head, d.linking.child, step);
  return true;
}

/** Esc: stop drawing the relation. Returns false when none was being drawn. */
export function cancelRelation(d) {
  if (!d.linking) return false;
  d.linking = null;
  d.notice = "";
  return true;
}

/**
 * Add the relation being drawn with relation label `label` (an index of `names`); `text` is
 * the item's text (for the notice). A relation drawn twice is not added again.
 */
export function finishRelation(d, label, { names, text }) {
  if (!d.linking || !d.linking.child) return false;
  const { head, child } = d.linking;
  const result = addRelation(d.relations, head, child, label);
  d.linking = null;
  const what = `${names[label] ?? "?"}: ${quoteKey(text, head)} → ${quoteKey(text, child)}`;
  if (!result.added) {
    d.notice = `${what} is already there.`;
    return true;
  }
  remember(d);
  d.relations = result.relations;
  d.notice = `Added ${what} (Backspace undoes).`;
  return true;
}

/** `]` / `[`: select the next or previous relation (arc). Returns false when there is none. */
export function selectRelation(d, step) {
  const current = d.selected && d.selected.kind === "relation" ? d.selected.index : null;
  const index = stepRelation(d.relations.length, current, step);
  if (index === null) return false;
  d.selected = { kind: "relation", index };
  d.cursor = null;
  d.linking = null;
  return true;
}

/** Give the selected relation `label`; the same relation already there absorbs it. */
export function relabelRelation(d, label) {
  const index = d.selected.index;
  remember(d);
  const old = d.relations[index];
  const others = d.relations.filter((_, i) => i !== index);
  const same = others.findIndex((r) => r.head === old.head && r.child === old.child && r.label === label);
  if (same >= 0) {
    d.relations = others;
    d.selected = { kind: "relation", index: same };
  } else {
    d.relations = d.relations.map((r, i) => (i === index ? { ...r, label } : r));
  }
  d.notice = "";
}

