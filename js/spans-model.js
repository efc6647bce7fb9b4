// Pure logic of span tagging, in the browser's UTF-16 offsets: snapping a selection to tokens
// or graphemes, adding a span (replacing overlapped ones unless overlap is allowed), stacking
// levels for drawing, the segments a text splits into, the span under a position, and what
// Enter does on an item with no spans.
// A span is [start, end, labelIndex], end exclusive.

/** Index of the first token whose end is after `offset` (tokens: flat [s0, e0, s1, e1, ...]). */
export function tokenAfter(tokens, offset) {
  let lo = 0;
  let hi = tokens.length / 2;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[2 * mid + 1] <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The selection [s, e) grown to the whole tokens it touches; null if it touches none. */
export function snapToTokens(tokens, s, e) {
  if (e < s) [s, e] = [e, s];
  const first = tokenAfter(tokens, s);
  if (first * 2 >= tokens.length) return null;
  if (tokens[2 * first] >= e && !(s === e && tokens[2 * first] <= s)) return null;
  let last = first;
  while ((last + 1) * 2 < tokens.length && tokens[2 * (last + 1)] < e) last += 1;
  return [tokens[2 * first], tokens[2 * last + 1]];
}

/** Grapheme boundaries of `text` (UTF-16 offsets, 0 and text.length included). */
export function graphemeBoundaries(text) {
  const out = [0];
  if (typeof Intl !== "undefined" && Intl.Segmenter) {
    for (const { index } of new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text)) {
      if (index > 0) out.push(index);
    }
  } else {
    for (let i = 1; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (!(c >= 0xdc00 && c <= 0xdfff)) out.push(i); // never split a surrogate pair
    }
  }
  if (out[out.length - 1] !== text.length) out.push(text.length);
  return out;
}

/** The selection [s, e) without surrounding whitespace, widened to whole graphemes; null if
 * nothing but whitespace is selected. `bounds` = graphemeBoundaries(text). */
export function snapToCharacters(text, bounds, s, e) {
  if (e < s) [s, e] = [e, s];
  while (s < e && /\s/.test(text[s])) s += 1;
  while (e > s && /\s/.test(text[e - 1])) e -= 1;
  if (s >= e) return null;
  let lo = 0;
  while (lo + 1 < bounds.length && bounds[lo + 1] <= s) lo += 1;
  let hi = bounds.length - 1;
  while (hi - 1 >= 0 && bounds[hi - 1] >= e) hi -= 1;
  return [bounds[lo], bounds[hi]];
}

/** Whether [s, e) starts at a token start and ends at a token end. */
export function isAligned(tokens, s, e) {
  const i = tokenAfter(tokens, s);
  if (i * 2 >= tokens.length || tokens[2 * i] !== s) return false;
  const j = tokenAfter(tokens, e - 1);
  return j * 2 < tokens.length && tokens[2 * j + 1] === e;
}

const overlaps = (a, b) => a[0] < b[1] && b[0] < a[1];
const byPosition = (a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/**
 * Add `span` to `spans`. Without `overlap`, spans it overlaps are removed (returned as
 * `replaced`); an identical span is not added twice. Returns {spans, replaced, added}.
 */
export function addSpan(spans, span, overlap) {
  if (spans.some((x) => x[0] === span[0] && x[1] === span[1] && x[2] === span[2])) {
    return { spans: spans.slice(), replaced: [], added: false };
  }
  const replaced = overlap ? [] : spans.filter((x) => overlaps(x, span));
  const kept = overlap ? spans.slice() : spans.filter((x) => !overlaps(x, span));
  kept.push(span.slice());
  kept.sort(byPosition);
  return { spans: kept, replaced, added: true };
}

/** Stack levels: overlapping spans get different levels (0 = innermost line), greedily by
 * start then longest first, so a nesting span sits under what it contains. */
export function levels(spans) {
  const order = spans.map((_, i) => i).sort((i, j) => spans[i][0] - spans[j][0] || spans[j][1] - spans[i][1]);
  const out = new Array(spans.length).fill(0);
  const ends = []; // per level: the end of the last span placed on it
  for (const i of order) {
    let level = ends.findIndex((end) => end <= spans[i][0]);
    if (level < 0) level = ends.length;
    ends[level] = spans[i][1];
    out[i] = level;
  }
  // outer spans (placed first) get the higher lines
  const max = Math.max(-1, ...out);
  return out.map((l) => max - l);
}

/**
 * The segments of a text of `length` between every span boundary: [{start, end, covers}] where
 * `covers` lists the indices of the spans over the segment. Covers everything from 0 to length.
 */
export function segments(length, spans) {
  const cuts = new Set([0, length]);
  for (const [s, e] of spans) {
    cuts.add(Math.max(0, Math.min(length, s)));
    cuts.add(Math.max(0, Math.min(length, e)));
  }
  const points = Array.from(cuts).sort((a, b) => a - b);
  const starts = spans.map((x, i) => [x[0], i]).sort((a, b) => a[0] - b[0]);
  const out = [];
  const open = new Set();
  let k = 0;
  for (let p = 0; p + 1 < points.length; p++) {
    const [a, b] = [points[p], points[p + 1]];
    while (k < starts.length && starts[k][0] <= a) open.add(starts[k++][1]);
    for (const i of Array.from(open)) if (spans[i][1] <= a) open.delete(i);
    out.push({ start: a, end: b, covers: Array.from(open).sort((x, y) => x - y) });
  }
  return out;
}

/** Index of the innermost (shortest) span over `offset`, or -1. */
export function spanAt(spans, offset) {
  let best = -1;
  for (let i = 0; i < spans.length; i++) {
    const [s, e] = spans[i];
    if (s <= offset && offset < e && (best < 0 || e - s < spans[best][1] - spans[best][0])) best = i;
  }
  return best;
}

/** Paragraph chunks of a text: [start, end) pieces that end after each newline, so a long
 * document is drawn (and re-drawn) a paragraph at a time. */
export function chunkBounds(text) {
  const out = [];
  let start = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) {
    out.push([start, i + 1]);
    start = i + 1;
  }
  if (start < text.length || !out.length) out.push([start, text.length]);
  return out;
}

/** For each chunk, the indices of the ranges ([start, end, ...]) that overlap it. */
export function bucketByChunk(chunks, ranges) {
  const buckets = chunks.map(() => []);
  const starts = chunks.map((c) => c[0]);
  const chunkOf = (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  ranges.forEach((r, i) => {
    if (r[1] <= r[0]) return;
    const last = chunkOf(r[1] - 1);
    for (let c = chunkOf(r[0]); c <= last; c++) buckets[c].push(i);
  });
  return buckets;
}

/**
 * What Enter (or Space) does on an item: "confirm" its spans, or "ask" first when that would
 * store an empty span list the annotator did not choose. An item with no spans is confirmed at
 * once only when it was labeled before (its stored value is being kept) or the annotator added
 * and removed spans on it (the empty list is their doing), and not if a selection could not be
 * read since (`unread`: the annotator may believe they tagged something). Otherwise the first
 * Enter asks and the next one (`asked`) confirms "no spans here".
 */
export function confirmStep({ spans, labeled, edited, unread, asked }) {
  if (spans > 0 || asked) return "confirm";
  if (unread) return "ask";
  return labeled || edited ? "confirm" : "ask";
}
