// Drawing the Spans text: one block per paragraph, each cut into segments between span
// boundaries, with stacked underlines per span and its label after its last segment. Only the
// paragraphs whose spans changed are drawn again. `view` is what the text on screen was drawn
// from: {key, text (element), labels, chunks: [{start, end, el, sign, segs, shown}]}. A view
// may also be drawn ahead (`drawAhead`: the next item's text, hidden under the one on screen in
// the same grid cell, laid out in advance); showing that item then only makes it visible.

import { colour } from "./chips.js";
import { h } from "./dom.js";
import { bucketByChunk, chunkBounds, isAligned, levels, segments } from "./spans-model.js";

const LINE = 4; // px per stacked underline

/** Everything drawn over the text: spans, pending suggestions, the token cursor (`cursor`:
 * its [start, end] range, or null). */
export function overlays(d, cursor) {
  const shown = d.spans.map((s, index) => ({ kind: "span", index, range: s }));
  d.suggestions.forEach((x, index) => {
    if (x.state === "pending") shown.push({ kind: "suggestion", index, range: x.span });
  });
  if (cursor) shown.push({ kind: "cursor", index: 0, range: [cursor[0], cursor[1], -1] });
  for (const x of shown) x.selected = !!(d.selected && d.selected.kind === x.kind && d.selected.index === x.index);
  return shown;
}

// What a paragraph shows. Span indices shift when a span is added before them, so spans are
// known by their range here (and found again by range when clicked).
const signature = (shown) =>
  shown.map((x) => `${x.kind === "span" ? "s" : `${x.kind[0]}${x.index}`}:${x.range.join(",")}${x.selected ? "*" : ""}`).join("|");

/** Style one segment: its classes, its underlines (one per level) and its label tag. */
function styleSegment(node, seg, end, shown, { tokens, labels, levelOf, lines }) {
  const layers = [];
  const positions = [];
  const names = [];
  for (const c of seg.covers) {
    const x = shown[c];
    if (x.kind === "cursor") {
      node.classList.add("nbl-span-cursor");
      continue;
    }
    const col = colour(x.range[2]);
    if (x.kind === "suggestion") {
      node.classList.add("nbl-suggested-span");
      layers.push(`repeating-linear-gradient(90deg, ${col} 0 4px, transparent 4px 7px)`);
    } else {
      node.classList.add("nbl-spanned");
      if (!isAligned(tokens, x.range[0], x.range[1])) node.classList.add("nbl-unaligned");
      layers.push(`linear-gradient(${col}, ${col})`);
    }
    positions.push(`0 calc(100% - ${levelOf.get(x) * LINE}px)`);
    if (x.selected) node.classList.add("nbl-selected-span");
    if (x.range[1] === end) names.push(`${labels[x.range[2]] ?? "?"}${x.kind === "suggestion" ? "?" : ""}`);
  }
  if (layers.length) {
    node.style.backgroundImage = layers.join(", ");
    node.style.backgroundPosition = positions.join(", ");
    node.style.backgroundSize = layers.map(() => `100% ${LINE - 1}px`).join(", ");
    node.style.backgroundRepeat = "no-repeat";
    node.style.paddingBottom = `${lines * LINE}px`;
  }
  if (names.length) node.dataset.label = names.join(" · ");
}

/** Draw paragraph `number` (`chunk`) with the overlays `shown` on it. */
function drawChunk(item, labels, chunk, shown, number) {
  const text = item.payload.text;
  const [c0, c1] = [chunk.start, chunk.end];
  const drawn = shown.filter((x) => x.kind !== "cursor");
  const level = levels(drawn.map((x) => x.range));
  const lines = drawn.length ? Math.max(...level) + 1 : 0;
  const style = { tokens: item.payload.tokens || [], labels, levelOf: new Map(drawn.map((x, i) => [x, level[i]])), lines };
  const segs = segments(c1 - c0, shown.map((x) => [Math.max(c0, x.range[0]) - c0, Math.min(c1, x.range[1]) - c0]));
  const el = h("div", { class: "nbl-chunk" });
  el.style.setProperty("--nbl-lines", String(lines));
  segs.forEach((seg, i) => {
    const start = c0 + seg.start;
    const end = c0 + seg.end;
    const node = h("span", { class: "nbl-seg", "data-chunk": number, "data-seg": i, "data-start": start, "data-end": end, text: text.slice(start, end) });
    styleSegment(node, seg, end, shown, style);
    el.append(node);
  });
  chunk.segs = segs;
  chunk.shown = shown;
  return el;
}

/** A new view of `item`'s text: its paragraphs, none drawn yet (`ahead`: hidden, inert). */
function newView(item, labels, ahead = false) {
  const container = h("div", { class: `nbl-text ${ahead ? "nbl-spans-ahead" : "nbl-spans-text"}`, dir: "auto" });
  if (ahead) {
    container.setAttribute("aria-hidden", "true");
    container.inert = true;
  }
  const chunks = chunkBounds(item.payload.text).map(([start, end]) => ({ start, end, el: null, sign: null }));
  return { key: item.key, text: container, labels, chunks };
}

/** The text drawn ahead for `item` made the one on screen: the rest of `body` goes. */
function adopt(view, body) {
  for (const child of Array.from(body.children)) if (child !== view.text) child.remove();
  view.text.classList.replace("nbl-spans-ahead", "nbl-spans-text");
  view.text.removeAttribute("aria-hidden");
  view.text.inert = false;
  return view;
}

/** Draw `item`'s text into `body` with the overlays `shown`, reusing `view` when it shows the
 * same item, or `ahead` (drawn by `drawAhead`) when it is `item`'s; returns the view now on
 * screen. */
export function drawText(view, item, body, shown, labels, ahead = null) {
  if (item.payload.text === null || item.payload.text === undefined) {
    body.replaceChildren(h("div", { class: "nbl-text nbl-empty", text: "(empty)" }));
    return { key: item.key, text: null, chunks: [] };
  }
  let fresh = !view || view.key !== item.key || !view.text || !body.contains(view.text) || view.labels !== labels;
  if (fresh && ahead && ahead.key === item.key && ahead.labels === labels && body.contains(ahead.text)) {
    view = adopt(ahead, body);
    fresh = false;
  } else if (fresh) view = newView(item, labels);
  drawChunks(view, item, shown, labels);
  if (fresh) {
    view.text.append(...view.chunks.map((c) => c.el));
    body.replaceChildren(view.text);
  }
  return view;
}

/** Draw `item`'s text ahead, hidden after what `body` shows (`shown`: what a new draft of it
 * shows), so that the browser lays it out before it is needed; returns its view. */
export function drawAhead(item, body, shown, labels) {
  const view = newView(item, labels, true);
  drawChunks(view, item, shown, labels);
  view.text.append(...view.chunks.map((c) => c.el));
  body.append(view.text);
  return view;
}

/** Draw the paragraphs of `view` whose overlays changed. */
function drawChunks(view, item, shown, labels) {
  const buckets = bucketByChunk(view.chunks.map((c) => [c.start, c.end]), shown.map((x) => x.range));
  view.chunks.forEach((chunk, i) => {
    const mine = buckets[i].map((j) => shown[j]);
    const sign = signature(mine);
    if (chunk.el && chunk.sign === sign) return; // unchanged paragraph: keep its nodes
    const el = drawChunk(item, labels, chunk, mine, i);
    if (chunk.el) chunk.el.replaceWith(el);
    chunk.el = el;
    chunk.sign = sign;
  });
}

/** The text offset (UTF-16) of a DOM boundary inside the text element: segments carry their
 * start offset, so no text is walked (label tags are CSS pseudo-elements, not text). */
export function offsetOf(node, offset) {
  if (node.nodeType === Node.TEXT_NODE) return Number(node.parentElement.closest(".nbl-seg").dataset.start) + offset;
  const child = node.childNodes[offset];
  if (child) {
    const seg = child.nodeType === Node.TEXT_NODE ? child.parentElement : child.matches?.(".nbl-seg") ? child : child.querySelector?.(".nbl-seg");
    if (seg) return Number(seg.dataset.start);
  }
  const segs = node.querySelectorAll ? node.querySelectorAll(".nbl-seg") : [];
  const last = segs[segs.length - 1] || node.parentElement?.closest(".nbl-seg");
  return last ? Number(last.dataset.end) : 0;
}

/** What a click on segment `seg` picks: the innermost span or suggestion under it ({kind,
 * index}, the span's index in `spans`), or null. */
export function pickAt(view, seg, spans) {
  const chunk = view.chunks[Number(seg.dataset.chunk)];
  const covers = chunk.segs[Number(seg.dataset.seg)].covers.map((i) => chunk.shown[i]).filter((x) => x.kind !== "cursor");
  if (!covers.length) return null;
  // the innermost: the shortest of the spans under the click
  covers.sort((a, b) => a.range[1] - a.range[0] - (b.range[1] - b.range[0]));
  const pick = covers[0];
  const index = pick.kind === "span" ? spans.findIndex((x) => x[0] === pick.range[0] && x[1] === pick.range[1] && x[2] === pick.range[2]) : pick.index;
  return index < 0 ? null : { kind: pick.kind, index };
}
