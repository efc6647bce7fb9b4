// The boxes being edited on one image, before they are confirmed: the boxes (with hidden and
// locked flags), the suggestions, the selection, the first corner of a two-click box, a notice,
// and an undo/redo history of box changes within the image. Pure logic, no DOM: the task draws
// the draft after each change.

import { clampRect, moveRect, roundRect } from "./boxes-geometry.js";
import { lateSuggestion } from "./suggestion-draft.js";

const HISTORY = 200;

/** The draft of `item`: its stored boxes, or its suggestions (pending) when it has no value. */
export function newDraft(item) {
  const boxes = Array.isArray(item.value) ? item.value : [];
  return {
    key: item.key,
    boxes: boxes.map((b) => ({ r: b.slice(0, 4), label: b[4], hidden: false, locked: false })),
    suggestions: !Array.isArray(item.value) && Array.isArray(item.payload.suggestion)
      ? item.payload.suggestion.map((b) => ({ r: b.slice(0, 4), label: b[4], state: "pending" }))
      : [],
    history: [],
    future: [],
    selected: -1,
    pickedSuggestion: null, // a suggestion clicked: Enter or a label key accepts it, Delete rejects
    corner: null, // first corner of a two-click box
    notice: "",
  };
}

/** The draft in `state` for `item`, started anew when another item is on screen (or when its
 * suggestion arrived late, see `lateSuggestion`). */
export function draftFor(state, item) {
  if (!state.draft || state.draft.key !== item.key || lateSuggestion(state.draft, item)) state.draft = newDraft(item);
  return state.draft;
}

/** The value to store: [x, y, w, h, label] per box, in whole image pixels. */
export function boxesValue(d) {
  return d.boxes.map((b) => [...roundRect(b.r), b.label]);
}

const copy = (d) => ({ boxes: d.boxes.map((b) => ({ ...b, r: b.r.slice() })), suggestions: d.suggestions.map((s) => ({ ...s })) });

/** Record the boxes before a change (undo goes back to them; redo is forgotten). */
export function remember(d) {
  d.history.push(copy(d));
  if (d.history.length > HISTORY) d.history.shift();
  d.future = [];
}

/** Undo (or redo) the last box change. Returns false when there is none. */
export function undoBoxes(d, redo = false) {
  const from = redo ? d.future : d.history;
  const to = redo ? d.history : d.future;
  const state = from.pop();
  if (!state) return false;
  to.push(copy(d));
  d.boxes = state.boxes;
  d.suggestions = state.suggestions;
  d.selected = -1;
  return true;
}

/** Whether a rect is too small to keep (a side under `min` pixels). */
export const tooSmall = (r, min) => r[2] < min || r[3] < min;

/** The notice shown when a box is too small to keep. */
export const tooSmallNotice = (min) => `Boxes under ${min} px are not kept.`;

/**
 * Add the box `r` (clamped to the W×H image) with `label` and select it; one with a side under
 * `min` pixels is not kept and a notice says so. Returns whether it was added.
 */
export function addBox(d, r, label, { min, W, H }) {
  const clamped = clampRect(r, W, H);
  if (tooSmall(clamped, min)) {
    d.notice = tooSmallNotice(min);
    return false;
  }
  remember(d);
  d.boxes.push({ r: roundRect(clamped), label, hidden: false, locked: false });
  d.selected = d.boxes.length - 1;
  d.notice = "";
  return true;
}

/** Put box `index` at `r` (a finished move or resize), unless `r` is too small. */
export function placeBox(d, index, r, min) {
  if (tooSmall(r, min)) return false;
  remember(d);
  d.boxes[index].r = roundRect(r);
  return true;
}

/** Select box `index`, or deselect it when it is selected. */
export function pickBox(d, index) {
  d.selected = d.selected === index ? -1 : index;
}

/** Flip box `index`'s "hidden" or "locked" flag. */
export function toggleBox(d, index, flag) {
  remember(d);
  d.boxes[index][flag] = !d.boxes[index][flag];
}

/** Delete box `index` (nothing is selected afterwards). */
export function deleteBox(d, index) {
  remember(d);
  d.boxes.splice(index, 1);
  d.selected = -1;
}

/** Give the selected box `label`. */
export function relabelSelected(d, label) {
  const sel = d.boxes[d.selected];
  if (!sel) return;
  remember(d);
  sel.label = label;
}

/** Move the selected box by (dx, dy) inside the W×H image, unless it is locked. */
export function nudgeSelected(d, dx, dy, W, H) {
  const sel = d.boxes[d.selected];
  if (!sel || sel.locked) return false;
  remember(d);
  sel.r = roundRect(moveRect(sel.r, dx, dy, W, H));
  return true;
}

/** Copy the selected box 10 px down and right (shown, unlocked) and select the copy. */
export function duplicateSelected(d, W, H) {
  const sel = d.boxes[d.selected];
  if (!sel) return;
  remember(d);
  d.boxes.push({ ...sel, r: roundRect(moveRect(sel.r, 10, 10, W, H)), hidden: false, locked: false });
  d.selected = d.boxes.length - 1;
}

/** Pick suggestion `index` (a click on it): the notice says how to accept or reject it. */
export function pickSuggestion(d, index) {
  d.selected = -1;
  d.pickedSuggestion = index;
  d.notice = "Suggested box: Enter accepts it, a label key accepts it with that label, Delete rejects it.";
}

/** Accept the picked suggestion as a box, with `label` or its own label (null). */
export function acceptSuggestion(d, label) {
  const s = d.suggestions[d.pickedSuggestion];
  remember(d);
  s.state = "accepted";
  d.boxes.push({ r: s.r.slice(), label: label ?? s.label, hidden: false, locked: false });
  d.pickedSuggestion = null;
  d.notice = "";
}

/** Reject the picked suggestion. */
export function rejectSuggestion(d) {
  remember(d);
  d.suggestions[d.pickedSuggestion].state = "rejected";
  d.pickedSuggestion = null;
  d.notice = "";
}

/** Esc: drop the selection, the first corner, the notice and the picked suggestion. Returns
 * whether there was anything to drop. */
export function clearSelection(d) {
  if (!(d.selected >= 0 || d.corner || d.notice || d.pickedSuggestion != null)) return false;
  d.selected = -1;
  d.corner = null;
  d.notice = "";
  d.pickedSuggestion = null;
  return true;
}

/** The number of suggestions neither accepted nor rejected. */
export function pendingSuggestions(d) {
  return d.suggestions.filter((s) => s.state === "pending").length;
}
