// Pure logic of the Rate task: the draft of an item's ratings (one per criterion), the active
// criterion, moving between criteria, what blocks a submission, and the help table.

import { labelHotkeys } from "./keymap.js";

/** A new draft for `item` with `count` criteria: its stored ratings, the first unrated active. */
export function newRateDraft(item, count) {
  const stored = Array.isArray(item.value) ? item.value : [];
  const ratings = Array.from({ length: count }, (_, i) => (Number.isInteger(stored[i]) ? stored[i] : null));
  const first = ratings.indexOf(null);
  return { key: item.key, ratings, active: first < 0 ? 0 : first, reason: "" };
}

/** The draft in `state` for `item`, started anew when another item is on screen. */
export function rateDraftFor(state, item, count) {
  if (!state.draft || state.draft.key !== item.key || state.draft.ratings.length !== count) {
    state.draft = newRateDraft(item, count);
  }
  return state.draft;
}

/**
 * Rate criterion `index` (default: the active one) with `point`, then make the next unrated
 * criterion after it active (the same one when every criterion is rated).
 */
export function rate(draft, point, index = draft.active) {
  draft.ratings[index] = point;
  draft.reason = "";
  const n = draft.ratings.length;
  for (let step = 1; step <= n; step++) {
    const next = (index + step) % n;
    if (draft.ratings[next] === null) {
      draft.active = next;
      return;
    }
  }
  draft.active = index;
}

/** Move the active criterion by `step` (±1); returns false at either end (nothing moved). */
export function moveActive(draft, step) {
  const next = draft.active + step;
  if (next < 0 || next >= draft.ratings.length) return false;
  draft.active = next;
  return true;
}

/** The criteria not rated yet, by name. */
export function unrated(draft, criteria) {
  return criteria.filter((_, i) => draft.ratings[i] === null);
}

/** Why the draft cannot be submitted yet ("" when it can). */
export function blockReason(draft, criteria, points) {
  const missing = unrated(draft, criteria);
  if (!missing.length) return "";
  return `Rate ${missing.join(", ")} first (${points[0]}–${points[points.length - 1]}; ↑ ↓ choose the criterion).`;
}

/** The help table (`?`). */
export function rateHelpRows(config) {
  const points = config.points || [];
  const keys = labelHotkeys(points.length);
  const span = keys.length ? `${keys[0]}–${keys[keys.length - 1]}` : "1–9";
  const criteria = (config.criteria || []).length > 0;
  const rows = criteria
    ? [
        [span, "rate the active criterion (then the next one is active)"],
        ["↑ ↓ / Tab", "choose the criterion"],
        ["Enter", "submit (every criterion rated)"],
      ]
    : [[span, "rate and move on"]];
  return rows.concat([
    ["← → / k j", "previous / next item"],
    ["u / Backspace", "undo"],
    ["s", "skip"],
    ["f", "flag with a comment"],
    ["g", "guidelines"],
    ["?", "this help"],
  ]);
}
