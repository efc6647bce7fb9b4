// Pure logic of relations between spans: no DOM. In the draft a relation is {head, child, label}
// where head and child are span keys ("start:end:label" of a span [start, end, labelIndex]), so
// it follows its spans whatever their order; the value sent to the kernel indexes the spans
// instead: {spans: [[start, end, label]], relations: [[head, child, relationLabel]]}. Also the
// keys, the span a relation goes to next, and the geometry of the arcs.

import { LABEL_KEYS } from "./keymap.js";

/** Keys a Spans widget with relations keeps for itself (never a span label's hotkey). */
export const RELATION_COMMANDS = ["r"];

/** Hotkeys for `count` labels, leaving out `reserved` keys (1-9, 0, then letters). */
export function hotkeysWithout(count, reserved) {
  const keys = LABEL_KEYS.filter((k) => !reserved.includes(k));
  return Array.from({ length: count }, (_, i) => (i < keys.length ? keys[i] : null));
}

/** The key of span [start, end, label]. */
export const spanKey = (s) => `${s[0]}:${s[1]}:${s[2]}`;

/** The spans of a value as the kernel sends it (a list, or {spans, relations}); null when the
 * item has no value. */
export function spansOfValue(value) {
  if (Array.isArray(value)) return value;
  return value && Array.isArray(value.spans) ? value.spans : null;
}

/** The relations of a value as the kernel sends it, keyed by span (none for a plain list). */
export function relationsOfValue(value) {
  if (!value || !Array.isArray(value.spans) || !Array.isArray(value.relations)) return [];
  const keys = value.spans.map(spanKey);
  return value.relations
    .filter(([h, c]) => keys[h] !== undefined && keys[c] !== undefined)
    .map(([h, c, label]) => ({ head: keys[h], child: keys[c], label }));
}

/** The value to send: the spans, or {spans, relations} (relations by span index, sorted, those
 * whose spans are gone left out). */
export function encodeValue(spans, relations, withRelations) {
  const copy = spans.map((s) => s.slice());
  if (!withRelations) return copy;
  const index = new Map(copy.map((s, i) => [spanKey(s), i]));
  const seen = new Set();
  const out = [];
  for (const r of relations) {
    const h = index.get(r.head);
    const c = index.get(r.child);
    const id = `${h}>${c}>${r.label}`;
    if (h === undefined || c === undefined || h === c || seen.has(id)) continue;
    seen.add(id);
    out.push([h, c, r.label]);
  }
  out.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  return { spans: copy, relations: out };
}

/** The relations whose two spans are still in `spans`. */
export function pruneRelations(spans, relations) {
  if (!relations.length) return relations;
  const keys = new Set(spans.map(spanKey));
  return relations.filter((r) => keys.has(r.head) && keys.has(r.child));
}

/** The relations after span `from` became span `to` (relabeled): they follow it; one that
 * would now link a span to itself, or repeat another, is dropped. */
export function renameSpan(relations, from, to) {
  const out = [];
  const seen = new Set();
  for (const r of relations) {
    const moved = { head: r.head === from ? to : r.head, child: r.child === from ? to : r.child, label: r.label };
    const id = `${moved.head}>${moved.child}>${moved.label}`;
    if (moved.head === moved.child || seen.has(id)) continue;
    seen.add(id);
    out.push(moved);
  }
  return out;
}

/** Add head → child with `label`: {relations, added, reason} ("self" or "duplicate" when not). */
export function addRelation(relations, head, child, label) {
  if (head === child) return { relations, added: false, reason: "self" };
  if (relations.some((r) => r.head === head && r.child === child && r.label === label)) {
    return { relations, added: false, reason: "duplicate" };
  }
  return { relations: [...relations, { head, child, label }], added: true, reason: null };
}

/** The span after (`step` 1) or before (-1) `from` among `spans` other than `head`, cycling;
 * with no `from`, the first span after the head (or the first one). Returns a key or null. */
export function stepChild(spans, head, from, step) {
  const keys = spans.map(spanKey);
  const others = keys.filter((k) => k !== head);
  if (!others.length) return null;
  if (from === null || from === undefined || !others.includes(from)) {
    const at = keys.indexOf(head);
    const after = keys.slice(at + 1).find((k) => k !== head);
    return after ?? others[0];
  }
  const i = others.indexOf(from);
  return others[(i + step + others.length) % others.length];
}

/** The innermost span (a key) over UTF-16 `offset`, or null. */
export function spanKeyAt(spans, offset) {
  let best = null;
  for (const s of spans) {
    if (s[0] <= offset && offset < s[1] && (!best || s[1] - s[0] < best[1] - best[0])) best = s;
  }
  return best ? spanKey(best) : null;
}

/** The index of the relation `step` after (or before) `current` (null: none selected), cycling. */
export function stepRelation(count, current, step) {
  if (!count) return null;
  if (current === null || current === undefined) return step > 0 ? 0 : count - 1;
  return (current + step + count) % count;
}

// ---------------------------------------------------------------------------- arcs
/** Pixels an arc rises above its spans per level. */
export const ARC_STEP = 7;
/** The highest level an arc is drawn at. */
export const MAX_LEVEL = 4;

/**
 * Levels of arcs so that arcs on one line that overlap do not share a height: the narrower
 * ones sit lower. `arcs`: [{x1, x2, line}] (line: any value equal for arcs on one text line);
 * returns a level per arc, 1 = lowest, at most MAX_LEVEL.
 */
export function arcLevels(arcs) {
  const order = arcs
    .map((a, i) => ({ i, lo: Math.min(a.x1, a.x2), hi: Math.max(a.x1, a.x2), line: a.line }))
    .sort((a, b) => a.hi - a.lo - (b.hi - b.lo) || a.lo - b.lo);
  const levels = new Array(arcs.length).fill(1);
  const placed = [];
  for (const a of order) {
    let level = 1;
    for (const p of placed) {
      if (p.line === a.line && p.lo < a.hi && a.lo < p.hi) level = Math.max(level, levels[p.i] + 1);
    }
    levels[a.i] = Math.min(level, MAX_LEVEL);
    placed.push(a);
  }
  return levels;
}

/**
 * The drawing of one arc from (x1, y1) (the head span's top) to (x2, y2) (the child's) at
 * `level`: the SVG path of the curve, the arrowhead at the child (a chevron pointing down into
 * it, to stroke with the curve) and where its label goes (the top of the curve).
 */
export function arcGeometry(x1, y1, x2, y2, level) {
  const rise = 6 + level * ARC_STEP;
  const top = Math.min(y1, y2) - rise;
  const path = `M ${r(x1)} ${r(y1)} C ${r(x1)} ${r(top)}, ${r(x2)} ${r(top)}, ${r(x2)} ${r(y2)}`;
  const head = `M ${r(x2 - 4)} ${r(y2 - 6)} L ${r(x2)} ${r(y2)} L ${r(x2 + 4)} ${r(y2 - 6)}`;
  // the cubic's point at t = 1/2: halfway across, 3/4 of the way up from the ends' mean height
  return { path, head, labelX: r((x1 + x2) / 2), labelY: r((y1 + y2) / 8 + (top * 3) / 4) };
}

const r = (v) => Math.round(v * 10) / 10;
