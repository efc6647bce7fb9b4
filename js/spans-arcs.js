// The arcs of relations between spans, drawn as SVG over the Spans text (spans-text.js draws
// the text; spans-relations.js decides what to draw). One SVG after the paragraphs, in the
// text's scrolling box, so arcs scroll with the text; only the arcs take the mouse.
//
// Arcs need the spans' positions, hence the text's layout. A new item's text, or a paragraph
// drawn again, is measured in a ResizeObserver callback: after the frame's own layout and before
// its paint, so no layout is forced in a key's handler and the arcs are in the item's first
// frame. Paragraphs far from the visible part of the text are not rendered (`content-visibility:
// auto`; they have a placeholder height until they are): only spans in rendered paragraphs near
// the visible part are measured (an arc with one end there measures its other end too, if that
// one is rendered); the rest are drawn when scrolled to and rendered. Positions are kept in the
// text's own coordinates until a paragraph changes or the text's size does, so redrawing arcs
// (drawing a relation, selecting one) measures nothing. Each arc's label is SVG text; its
// accessible name says what it links.

import { PALETTE, colour } from "./chips.js";
import { listen } from "./dom.js";
import { quoteKey } from "./spans-relations-draft.js";
import { arcGeometry, arcLevels } from "./spans-relations-model.js";

const SVG = "http://www.w3.org/2000/svg";
/** Pixels beyond the text's visible box whose paragraphs are measured too. */
const MARGIN = 160;

/** Relation label `index`'s colour (from the end of the palette: span labels use its start). */
export const relationColour = (index) => colour(PALETTE.length - 1 - (index % PALETTE.length));

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  return node;
}

function svgText(tag, attrs, text) {
  const node = svg(tag, attrs);
  node.textContent = text;
  return node;
}

/** The index of the first value >= target in sorted `values`. */
function lowerBound(values, target) {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid] < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The paragraph (an index) holding UTF-16 offset `offset` (`ends`: the paragraphs' ends). */
const chunkOf = (ends, offset) => lowerBound(ends, offset + 1);

/** Where span `key`'s arcs start: the middle of its first line, at the top of its text, in the
 * text's coordinates ({x, y, line}); null when it is not drawn. */
function measure(view, ends, key, origin) {
  const [s, e] = key.split(":").map(Number);
  const chunk = view.chunks[chunkOf(ends, s)];
  if (!chunk || !chunk.el) return null;
  const segs = chunk.el.children;
  const starts = Array.from(segs, (seg) => Number(seg.dataset.start));
  let first = null;
  let left = Infinity;
  let right = -Infinity;
  let wrapped = false; // the span goes on to another line: its first line is measured
  for (let i = lowerBound(starts, s); i < segs.length && starts[i] < e && !wrapped; i++) {
    for (const r of segs[i].getClientRects()) {
      if (!r.width && !r.height) continue;
      if (!first) first = r;
      if (Math.abs(r.top - first.top) > 2) {
        wrapped = true;
        break;
      }
      left = Math.min(left, r.left);
      right = Math.max(right, r.right);
    }
  }
  if (!first) return null;
  const y = first.top + origin.y;
  return { x: (left + right) / 2 + origin.x, y, line: Math.round(y) };
}

/** One arc: its curve and arrowhead in one path, its label as text; its accessible name says
 * what it links (“Ada” works_for “Acme”). Three nodes, so a document's arcs are quick to lay
 * out and paint. */
function arcNode(arc, geometry, names, text) {
  const { relation, index, pending, selected } = arc;
  const name = pending ? "?" : (names[relation.label] ?? "?");
  const g = svg("g", {
    class: `nbl-arc${selected ? " nbl-arc-selected" : ""}${pending ? " nbl-arc-pending" : ""}`,
    "data-index": pending ? null : index,
    "data-label": pending ? null : name,
    role: "img",
    "aria-label": `${quoteKey(text, relation.head)} ${name} ${quoteKey(text, relation.child)}`,
  });
  g.style.setProperty("--nbl-arc", pending ? "var(--nbl-accent)" : relationColour(relation.label));
  g.append(
    svg("path", { class: "nbl-arc-line", d: `${geometry.path} ${geometry.head}` }),
    svgText("text", { class: "nbl-arc-label", x: geometry.labelX, y: geometry.labelY - 2, "text-anchor": "middle" }, name),
  );
  return g;
}

/** Mark the two spans of the relation being drawn (or selected) on the text; returns whether
 * any span is marked. */
function markEnds(view, chunkEnds, ends, marked) {
  if (marked) for (const node of view.text.querySelectorAll(".nbl-link-head, .nbl-link-child")) node.classList.remove("nbl-link-head", "nbl-link-child");
  if (!ends) return false;
  for (const [key, cls] of [[ends.head, "nbl-link-head"], [ends.child, "nbl-link-child"]]) {
    if (!key) continue;
    const [s, e] = key.split(":").map(Number);
    const chunk = view.chunks[chunkOf(chunkEnds, s)];
    for (const seg of chunk && chunk.el ? chunk.el.children : []) {
      const a = Number(seg.dataset.start);
      if (a >= s && a < e) seg.classList.add(cls);
    }
  }
  return true;
}

/**
 * The SVG layer of arcs over the text of the Spans view on screen. `draw(view, arcs, ends,
 * names, text)` draws `arcs` ([{relation: {head, child, label}, index, selected, pending}]) over
 * `view` (spans-text.js) and marks the spans of `ends` ({head, child} or null); a scroll or a
 * change of width draws them again.
 * `cleanup()` removes its listeners.
 */
export function createArcLayer() {
  let layer = null;
  let host = null; // the text element the layer is in
  let offScroll = null; // the listeners on the text: scrolling, paragraphs rendered or skipped
  let frame = 0;
  let last = null; // the arguments of the last draw
  let drawn = ""; // what the layer shows (a draw that would show the same changes nothing)
  let marked = false; // whether spans of the text are marked as a relation's ends
  let input = ""; // what the last draw was given (the same again, with nothing moved: no paint)
  let waiting = false; // a draw waits for the observer's report
  let cache = { els: [], width: -1, height: -1, at: new Map() };
  let observed = new Set(); // the text and its paragraphs: a new one, or a new size, is measured
  // (the first report on an element comes after the frame's layout that placed it)
  const observer = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(() => redraw());

  /** Paint again what was last given (the text moved, scrolled or was laid out). */
  function redraw() {
    frame = 0;
    waiting = false;
    if (last && host && host.isConnected) paint(...last);
  }

  /** Observe the text and its paragraphs; whether one of them is new (not laid out yet). */
  function observe(view) {
    if (!observer) return false;
    const now = new Set([view.text, ...view.chunks.map((c) => c.el).filter(Boolean)]);
    let fresh = false;
    for (const el of now) {
      if (observed.has(el)) continue;
      observer.observe(el);
      fresh = true;
    }
    for (const el of observed) if (!now.has(el)) observer.unobserve(el);
    observed = now;
    return fresh;
  }

  function attach(view) {
    if (layer && host === view.text && layer.parentNode === host) return;
    if (offScroll) offScroll();
    host = view.text;
    layer = svg("svg", { class: "nbl-arcs", role: "group", "aria-label": "relations between spans" });
    host.append(layer); // after the paragraphs: the text's own nodes come first
    cache = { els: [], width: -1, height: -1, at: new Map() };
    drawn = "";
    marked = false;
    const later = () => {
      if (!frame) frame = requestAnimationFrame(redraw);
    };
    const offs = [
      listen(host, "scroll", later, { passive: true }),
      listen(host, "contentvisibilityautostatechange", later, { capture: true }),
    ];
    offScroll = () => offs.forEach((off) => off());
  }

  function paint(view, arcs, ends, names, text) {
    const chunkEnds = view.chunks.map((c) => c.end);
    marked = markEnds(view, chunkEnds, ends, marked);
    if (!arcs.length) {
      layer.replaceChildren();
      drawn = "";
      return;
    }
    const box = host.getBoundingClientRect();
    const els = view.chunks.map((c) => c.el);
    const height = host.scrollHeight; // a paragraph of another height moves those after it
    if (cache.width !== box.width || cache.height !== height || els.length !== cache.els.length || els.some((el, i) => el !== cache.els[i])) {
      cache = { els, width: box.width, height, at: new Map() };
    }
    const rendered = view.chunks.map((c) => !!c.el && (!c.el.checkVisibility || c.el.checkVisibility({ contentVisibilityAuto: true })));
    const near = view.chunks.map((c, i) => {
      if (!rendered[i]) return false;
      const r = c.el.getBoundingClientRect();
      return r.bottom >= box.top - MARGIN && r.top <= box.bottom + MARGIN;
    });
    const origin = { x: host.scrollLeft - box.left - host.clientLeft, y: host.scrollTop - box.top - host.clientTop };
    const at = (key) => {
      if (!cache.at.has(key)) cache.at.set(key, measure(view, chunkEnds, key, origin));
      return cache.at.get(key);
    };
    const startOf = (key) => Number(key.slice(0, key.indexOf(":")));
    const placed = [];
    for (const arc of arcs) {
      const { head, child } = arc.relation;
      const [h, c] = [chunkOf(chunkEnds, startOf(head)), chunkOf(chunkEnds, startOf(child))];
      if (!(near[h] || near[c]) || !rendered[h] || !rendered[c]) continue;
      const p = at(head);
      const q = at(child);
      if (p && q) placed.push({ arc, p, q });
    }
    const levels = arcLevels(placed.map(({ p, q }) => ({ x1: p.x, x2: q.x, line: p.line === q.line ? p.line : `${p.line}-${q.line}` })));
    const size = [host.scrollWidth, height];
    const shapes = placed.map(({ arc, p, q }, i) => [arc, arcGeometry(p.x, p.y, q.x, q.y, levels[i])]);
    const sign = JSON.stringify([size, names, shapes.map(([a, g]) => [a.relation, a.index, a.selected, a.pending, g.path])]);
    if (sign === drawn) return;
    drawn = sign;
    layer.setAttribute("width", String(size[0]));
    layer.setAttribute("height", String(size[1]));
    layer.replaceChildren(...shapes.map(([arc, geometry]) => arcNode(arc, geometry, names, text)));
  }

  return {
    draw(view, arcs, ends, names, text) {
      if (!view || !view.text) return;
      attach(view);
      last = [view, arcs, ends, names, text];
      const given = JSON.stringify([arcs, ends, names, view.chunks.length]);
      if (given === input && view.chunks.every((c, i) => c.el === cache.els[i])) return; // as drawn
      input = given;
      if (observe(view)) {
        // measured once laid out, in this frame (the observer's report); JupyterLab holds
        // reports back while its notebook scrolls: then two frames later
        waiting = true;
        requestAnimationFrame(() => requestAnimationFrame(() => waiting && redraw()));
        return;
      }
      paint(view, arcs, ends, names, text);
    },
    cleanup() {
      if (offScroll) offScroll();
      if (frame) cancelAnimationFrame(frame);
      if (observer) observer.disconnect();
      observed = new Set();
      offScroll = null;
      layer = host = last = null;
    },
  };
}
