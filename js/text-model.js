// Pure logic of the Text task: lengths counted as the kernel counts them (code points of the
// text without Python's leading and trailing whitespace), what blocks a submission, the text
// an item starts from, the edits kept while moving between items, and what a key means in the
// text area and outside it.

// Python's str.strip() whitespace (str.isspace): JS's \s lacks \x1c-\x1f and \x85 and has \ufeff.
const PY_SPACE = "\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const LEADING = new RegExp(`^[${PY_SPACE}]+`);
const TRAILING = new RegExp(`[${PY_SPACE}]+$`);

/** `text` without leading and trailing whitespace, as Python's `str.strip()` gives it. */
export function stripPy(text) {
  return text.replace(LEADING, "").replace(TRAILING, "");
}

/** How many code points `text` has (Python's `len`; an emoji is one, not two UTF-16 units). */
export function codePoints(text) {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // a high surrogate followed by a low one is one code point
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** The length the kernel checks against min_length / max_length. */
export function textLength(text) {
  return codePoints(stripPy(text));
}

const NUMBER = new Intl.NumberFormat("en-US"); // (toLocaleString builds a formatter per call: slow)
const num = (n) => NUMBER.format(n);
const plural = (n, word) => `${num(n)} ${word}${n === 1 ? "" : "s"}`;

/**
 * Why `text` cannot be submitted under `config` ({min_length, max_length}), or "" when it can.
 * The kernel checks the same rules (nblabel.kinds.text); this says it before a round trip.
 */
export function blockReason(text, config) {
  const length = textLength(text);
  if (length === 0) return "The text is empty: write something (or press Esc, then s to skip).";
  const low = config.min_length;
  const high = config.max_length;
  if (low !== null && low !== undefined && length < low) {
    return `Too short: ${plural(length, "character")}, at least ${num(low)} required (${num(low - length)} more).`;
  }
  if (high !== null && high !== undefined && length > high) {
    return `Too long: ${plural(length, "character")}, at most ${num(high)} allowed (${num(length - high)} over).`;
  }
  return "";
}

/** The counter under the text area: "123 characters" and the bounds, if any. */
export function lengthLine(text, config) {
  const parts = [plural(textLength(text), "character")];
  const low = config.min_length;
  const high = config.max_length;
  if (low !== null && low !== undefined && high !== null && high !== undefined) parts.push(`${num(low)}–${num(high)} allowed`);
  else if (low !== null && low !== undefined) parts.push(`at least ${num(low)}`);
  else if (high !== null && high !== undefined) parts.push(`at most ${num(high)}`);
  return parts.join(" · ");
}

/**
 * The text an item's text area starts from: the edit left on it (not submitted), else its
 * submitted text, else its draft, else "".
 */
export function startText(item, edits) {
  const kept = edits.get(item.key);
  if (kept !== undefined) return kept;
  if (typeof item.value === "string") return item.value;
  const draft = item.payload && item.payload.draft;
  return typeof draft === "string" ? draft : "";
}

/** Texts left in the text area per item key, the `limit` most recent. */
export class Edits {
  constructor(limit = 200) {
    this.limit = limit;
    this.map = new Map();
  }

  get(key) {
    return this.map.get(key);
  }

  set(key, text) {
    this.map.delete(key);
    this.map.set(key, text);
    while (this.map.size > this.limit) this.map.delete(this.map.keys().next().value);
  }

  get size() {
    return this.map.size;
  }
}

const isAccel = (event) => (event.ctrlKey || event.metaKey) && !event.altKey;

/** A key in the text area: "submit" (Ctrl/Cmd+Enter), "leave" (Esc) or null (typing). */
export function editorKey(event) {
  if (event.key === "Enter" && isAccel(event) && !event.shiftKey) return "submit";
  if (event.key === "Escape" && !event.ctrlKey && !event.metaKey && !event.altKey && !event.shiftKey) return "leave";
  return null;
}

/** Editing shortcuts the text area keeps with Ctrl/Cmd (select all, copy, paste, undo, words). */
const EDITING = new Set([
  "a", "c", "v", "x", "z", "y",
  "Backspace", "Delete", "ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End", "Enter",
]);

/**
 * Whether a key pressed in the text area must be kept from JupyterLab: every key without
 * Ctrl/Cmd (typing, Shift, Alt/Option characters, Esc), and the editing shortcuts with them.
 * Other Ctrl/Cmd shortcuts (save, the command palette) still reach the application.
 */
export function isolatedInEditor(event) {
  if (!event.ctrlKey && !event.metaKey) return true;
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  return EDITING.has(key);
}

/** A key outside the text area, before the shared keymap: "submit" (Ctrl/Cmd+Enter), "edit"
 * (Enter, e, i: into the text area) or null. */
export function rootKey(event) {
  if (event.key === "Enter" && isAccel(event) && !event.shiftKey) return "submit";
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  if (event.key === "Enter" && !event.shiftKey) return "edit";
  if (event.key === "e" || event.key === "i" || event.key === "E" || event.key === "I") return "edit";
  return null;
}
