// Pure: the word diff of a text against its draft, as segments to draw as text (never HTML).

import { diffWords } from "diff";

/** Longest pair of texts (UTF-16 units together) diffed on screen. */
export const MAX_DIFF_CHARS = 400_000;
/** How long one diff may take before it gives up (ms). */
export const DIFF_TIMEOUT_MS = 60;

const words = (text) => (text.match(/\S+/g) || []).length;

/**
 * The diff of `text` against `draft`: {segments: [{type: "same"|"added"|"removed", text}],
 * added, removed (words), changed: whether the texts differ at all} — or {tooLarge: true} when the texts are too long or
 * too different to diff quickly.
 */
export function diffSegments(draft, text, { timeout = DIFF_TIMEOUT_MS } = {}) {
  if (draft === text) return { segments: draft ? [{ type: "same", text: draft }] : [], added: 0, removed: 0, changed: false };
  if (draft.length + text.length > MAX_DIFF_CHARS) return { tooLarge: true };
  const parts = diffWords(draft, text, { timeout });
  if (!parts) return { tooLarge: true };
  let added = 0;
  let removed = 0;
  const segments = parts.map((p) => {
    if (p.added) added += words(p.value);
    if (p.removed) removed += words(p.value);
    return { type: p.added ? "added" : p.removed ? "removed" : "same", text: p.value };
  });
  // (diffWords compares words: a change of whitespace alone leaves every segment "same")
  return { segments, added, removed, changed: true };
}

/** What changed, after "Changes to the draft: ": "+3 words · −1 word", "none", ... */
export function diffSummary(diff) {
  if (diff.tooLarge) return "too long or too different to show";
  if (!diff.changed) return "none";
  const n = (k, sign) => `${sign}${k.toLocaleString("en-US")} word${k === 1 ? "" : "s"}`;
  const parts = [];
  if (diff.added) parts.push(n(diff.added, "+"));
  if (diff.removed) parts.push(n(diff.removed, "−"));
  return parts.length ? parts.join(" · ") : "whitespace only";
}
