// The spans being edited on one item, before they are confirmed: the spans, the suggestions
// (pending, accepted, rejected), the relations between spans (when the task has them; see
// spans-relations-draft.js), the selection, the token cursor, a notice, and a history for
// per-span undo. Pure logic, no DOM: the task draws the draft after each change. Offsets are
// UTF-16 string indices; a span is [start, end, label]. A span that goes takes its relations.

import { addSpan, confirmStep, isAligned } from "./spans-model.js";
import { pruneRelations, relationsOfValue, renameSpan, spanKey, spansOfValue } from "./spans-relations-model.js";
import { lateSuggestion } from "./suggestion-draft.js";

const HISTORY = 200;

/** The notice of a selection that could not be placed in the text. */
export const UNREADABLE =
  "That selection could not be read as text of this item, so nothing was tagged. Drag again inside the text, or tag with → ← and Enter.";
/** The question Enter asks on an item with no span. */
export const ASK_EMPTY = "No spans tagged on this item. Press Enter again to confirm that it has none.";

/** The draft of `item`: its value (or nothing), its suggestions pending beside them. */
export function newDraft(item) {
  const stored = spansOfValue(item.value);
  const labeled = stored !== null;
  return {
    key: item.key,
    spans: labeled ? stored.map((s) => s.slice()) : [],
    suggestions: !labeled && Array.isArray(item.payload.suggestion) ? item.payload.suggestion.map((s) => ({ span: s.slice(), state: "pending" })) : [],
    relations: relationsOfValue(item.value), // {head, child, label}: span keys (spans-relations-model.js)
    linking: null, // a relation being drawn: {head, child}
    history: [], // previous {spans, suggestions, relations} for per-span undo
    selected: null, // {kind: "span"|"suggestion"|"relation", index}
    cursor: null, // {anchor, focus}: token indices
    notice: "",
    unread: false, // a selection could not be read since the last span change
    asked: false, // Enter was pressed with no span: the next Enter confirms "no spans"
  };
}

/** The draft in `state` for `item`, started anew when another item is on screen (or when its
 * suggestion arrived late, see `lateSuggestion`). */
export function draftFor(state, item) {
  if (!state.draft || state.draft.key !== item.key || lateSuggestion(state.draft, item)) state.draft = newDraft(item);
  return state.draft;
}

/** "“text”": the text a span covers, quoted. */
export const quote = (text, s) => `“${(text || "").slice(s[0], s[1])}”`;

/** Forget that Enter asked about an empty item (anything else was done since). */
export function unask(d) {
  if (!d.asked) return;
  d.asked = false;
  if (d.notice === ASK_EMPTY) d.notice = "";
}

/** Record the spans before a change (Backspace goes back to them). */
export function remember(d) {
  d.unread = false;
  d.linking = null; // a relation being drawn ends with any change
  unask(d);
  d.history.push({
    spans: d.spans.map((s) => s.slice()),
    suggestions: d.suggestions.map((x) => ({ span: x.span.slice(), state: x.state })),
    relations: d.relations.slice(),
  });
  if (d.history.length > HISTORY) d.history.shift();
}

/**
 * Tag [s, e) with `label` (replacing overlapped spans unless `overlap`); the notice names what
 * was replaced, or says the span does not line up with whole tokens. `item` gives the text and
 * tokens, `labels` the label names. Returns whether a span was added.
 */
export function tagSpan(d, item, [s, e, label], { overlap, labels }) {
  const result = addSpan(d.spans, [s, e, label], overlap);
  if (!result.added) return false;
  remember(d);
  d.history[d.history.length - 1].notice = d.notice;
  d.spans = result.spans;
  d.relations = pruneRelations(d.spans, d.relations);
  d.selected = null;
  const text = item.payload.text;
  if (result.replaced.length) {
    const names = result.replaced.map((x) => `${labels[x[2]] ?? "?"} ${quote(text, x)}`).join(", ");
    d.notice = `Replaced ${names} (overlapping spans are not allowed here; Backspace undoes).`;
  } else if (!isAligned(item.payload.tokens || [], s, e)) {
    d.notice = `${quote(text, [s, e])} does not line up with whole tokens; it is marked with a dotted line.`;
  } else {
    d.notice = "";
  }
  return true;
}

/**
 * Enter or Space on the item: "confirm" it, unless that would store no spans the annotator did
 * not choose (see confirmStep): then "ask", and the next Enter confirms "no spans here".
 */
export function enterStep(d, item) {
  const step = confirmStep({
    spans: d.spans.length,
    labeled: spansOfValue(item.value) !== null,
    edited: d.history.length > 0,
    unread: d.unread,
    asked: d.asked,
  });
  if (step === "confirm") return step;
  d.asked = true;
  d.notice = ASK_EMPTY;
  return "ask";
}

/** Undo the last span change. Returns false when there is none. */
export function undoSpan(d) {
  const previous = d.history.pop();
  if (!previous) return false;
  d.spans = previous.spans;
  d.suggestions = previous.suggestions;
  d.relations = previous.relations;
  d.linking = null;
  d.notice = "";
  d.selected = null;
  return true;
}

/** Delete the selected span (and its relations) or relation, or reject the selected
 * suggestion. Returns false with none. */
export function removeSelected(d) {
  if (!d.selected) return false;
  remember(d);
  if (d.selected.kind === "span") {
    d.spans = d.spans.filter((_, i) => i !== d.selected.index);
    d.relations = pruneRelations(d.spans, d.relations);
  } else if (d.selected.kind === "relation") d.relations = d.relations.filter((_, i) => i !== d.selected.index);
  else d.suggestions[d.selected.index].state = "rejected";
  d.selected = null;
  d.notice = "";
  return true;
}

/** Accept suggestion `index` as a span, with `label` or its own label (null/undefined). */
export function acceptSuggestion(d, index, label, overlap) {
  const suggestion = d.suggestions[index];
  const span = [suggestion.span[0], suggestion.span[1], label ?? suggestion.span[2]];
  const result = addSpan(d.spans, span, overlap);
  remember(d);
  d.spans = result.spans;
  d.relations = pruneRelations(d.spans, d.relations);
  suggestion.state = "accepted";
  d.selected = null;
}

/** Accept or reject (`state`) every pending suggestion. Returns false when none is pending. */
export function settleAll(d, state, overlap) {
  if (!d.suggestions.some((x) => x.state === "pending")) return false;
  remember(d);
  for (const x of d.suggestions) {
    if (x.state !== "pending") continue;
    x.state = state;
    if (state === "accepted") d.spans = addSpan(d.spans, x.span, overlap).spans;
  }
  d.relations = pruneRelations(d.spans, d.relations);
  d.selected = null;
  return true;
}

/** Give the selected span `label` (it may then replace others, unless `overlap`); its
 * relations follow it. */
export function relabelSelected(d, label, overlap) {
  remember(d);
  const old = d.spans[d.selected.index];
  const renamed = [old[0], old[1], label];
  d.spans = addSpan(d.spans.filter((_, i) => i !== d.selected.index), renamed, overlap).spans;
  d.relations = pruneRelations(d.spans, renameSpan(d.relations, spanKey(old), spanKey(renamed)));
  d.selected = null;
}

/** The token cursor's range as [start, end] offsets, or null (`tokens`: flat start/end pairs). */
export function cursorRange(d, tokens) {
  if (!d.cursor || !tokens.length) return null;
  const [a, b] = [Math.min(d.cursor.anchor, d.cursor.focus), Math.max(d.cursor.anchor, d.cursor.focus)];
  return [tokens[2 * a], tokens[2 * b + 1]];
}

/** Move the token cursor by `step` tokens (`extend`: keep its anchor); the first move puts it
 * on the first token. Returns false when the item has no tokens. */
export function moveCursor(d, tokenCount, step, extend) {
  if (!tokenCount) return false;
  if (!d.cursor) {
    d.cursor = { anchor: 0, focus: 0 };
  } else {
    const focus = Math.max(0, Math.min(tokenCount - 1, d.cursor.focus + step));
    d.cursor = { anchor: extend ? d.cursor.anchor : focus, focus };
  }
  d.selected = null;
  return true;
}

/** A selection that cannot be placed in the text: say so, and keep Enter from storing an empty
 * span list on the strength of it. */
export function markUnreadable(d) {
  d.unread = true;
  d.asked = false;
  d.notice = UNREADABLE;
}

/** Esc: drop the cursor, the selection, a relation being drawn and the notice. Returns false
 * when there was nothing. */
export function clearSelection(d) {
  if (!d.cursor && !d.selected && !d.notice && !d.linking) return false;
  d.cursor = null;
  d.selected = null;
  d.linking = null;
  d.notice = "";
  return true;
}
