// Relations between spans on screen (a Spans widget with `relations`): directed arcs drawn as
// SVG over the text (each arc's label is SVG text, its title says what it links), the keys that
// draw, select and remove them, Shift/Alt+click from one span to another, and the controls (the
// relation labels with their keys, what is being drawn or is selected). The draft's relations
// live in spans-draft.js / spans-relations-draft.js; this module only draws and listens.
// Relation labels reach the page only as text.

import { PALETTE, colour } from "./chips.js";
import { h, listen } from "./dom.js";
import { labelHotkeys } from "./keymap.js";
import { cursorRange, draftFor, removeSelected } from "./spans-draft.js";
import { cancelRelation, finishRelation, linkToSpan, moveChild, quoteKey, relabelRelation, selectRelation, startRelation } from "./spans-relations-draft.js";
import { RELATION_COMMANDS, arcGeometry, arcLevels, hotkeysWithout, spanKey } from "./spans-relations-model.js";
import { pickAt } from "./spans-text.js";

const SVG = "http://www.w3.org/2000/svg";

/** Relation label `index`'s colour (from the end of the palette: span labels use its start). */
export const relationColour = (index) => colour(PALETTE.length - 1 - (index % PALETTE.length));

/** The span labels' hotkeys: `r` is kept for relations when the task has them. */
export function spanHotkeys(config) {
  const count = (config.labels || []).length;
  return config.relations ? hotkeysWithout(count, RELATION_COMMANDS) : labelHotkeys(count);
}

/** The help rows of relations (none without them). */
export function relationHelp(config) {
  if (!config.relations) return [];
  return [
    ["r", "start a relation from the selected span (or the span under the cursor)"],
    ["→ ← / Tab", "while drawing a relation: the other span"],
    ["1–9, 0, letters", "while drawing: add the relation with that label (Enter: the last one used); with an arc selected: relabel it"],
    ["Shift+click / Alt+click", "a span after selecting one: draw a relation to it"],
    ["] / [ · click an arc", "select the next / previous relation; Delete removes it"],
    ["Esc", "stop drawing the relation"],
  ];
}

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) node.setAttribute(k, String(v));
  node.append(...children);
  return node;
}

function svgText(tag, attrs, text) {
  const node = svg(tag, attrs);
  node.textContent = text;
  return node;
}

// ---------------------------------------------------------------------------- geometry
/** Where each span's arcs start: the middle of its first line, at the top of the text. */
function anchors(text, keys) {
  const segs = text.querySelectorAll(".nbl-seg");
  const starts = Array.from(segs, (s) => Number(s.dataset.start));
  const box = text.getBoundingClientRect();
  const dx = text.scrollLeft - box.left - text.clientLeft;
  const dy = text.scrollTop - box.top - text.clientTop;
  const out = new Map();
  for (const key of keys) {
    if (out.has(key)) continue;
    const [s, e] = key.split(":").map(Number);
    let first = null;
    let left = Infinity;
    let right = -Infinity;
    let wrapped = false; // the span went on to the next line: its first line is measured
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
    if (first) out.set(key, { x: (left + right) / 2 + dx, y: first.top + dy, line: Math.round(first.top + dy) });
  }
  return out;
}

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

// ---------------------------------------------------------------------------- drawing
function arcNode(arc, geometry, names, text) {
  const { relation, index, pending, selected } = arc;
  const name = pending ? "?" : (names[relation.label] ?? "?");
  const what = `${quoteKey(text, relation.head)} ${name} ${quoteKey(text, relation.child)}`;
  const g = svg("g", {
    class: `nbl-arc${selected ? " nbl-arc-selected" : ""}${pending ? " nbl-arc-pending" : ""}`,
    "data-index": pending ? null : index,
    "data-label": pending ? null : name,
    role: "img",
    "aria-label": what,
  });
  g.style.setProperty("--nbl-arc", pending ? "var(--nbl-accent)" : relationColour(relation.label));
  g.append(
    svgText("title", {}, what),
    svg("path", { class: "nbl-arc-hit", d: geometry.path }),
    svg("path", { class: "nbl-arc-line", d: geometry.path }),
    svg("polygon", { class: "nbl-arc-head", points: geometry.head }),
    svgText("text", { class: "nbl-arc-label", x: geometry.labelX, y: geometry.labelY - 2, "text-anchor": "middle" }, name),
  );
  return g;
}

/** Mark the spans of the relation being drawn, or of the selected one, on the text. */
function markEnds(text, ends) {
  for (const node of text.querySelectorAll(".nbl-link-head, .nbl-link-child")) node.classList.remove("nbl-link-head", "nbl-link-child");
  for (const [key, cls] of ends) {
    if (!key) continue;
    const [s, e] = key.split(":").map(Number);
    for (const seg of text.querySelectorAll(".nbl-seg")) {
      const a = Number(seg.dataset.start);
      if (a >= s && a < e) seg.classList.add(cls);
    }
  }
}

/** Draw the arcs of draft `d` over the text of `view`, in the SVG `layer`. */
function drawArcs(layer, view, d, item, names) {
  const text = view.text;
  const arcs = d.relations.map((relation, index) => ({
    relation,
    index,
    selected: !!(d.selected && d.selected.kind === "relation" && d.selected.index === index),
  }));
  if (d.linking && d.linking.child) arcs.push({ relation: { ...d.linking, label: -1 }, pending: true });
  const ends = d.linking ? d.linking : d.selected && d.selected.kind === "relation" ? d.relations[d.selected.index] : null;
  markEnds(text, ends ? [[ends.head, "nbl-link-head"], [ends.child, "nbl-link-child"]] : []);
  if (!arcs.length) {
    layer.replaceChildren();
    return;
  }
  const at = anchors(text, arcs.flatMap((a) => [a.relation.head, a.relation.child]));
  const placed = arcs.filter((a) => at.has(a.relation.head) && at.has(a.relation.child));
  const levels = arcLevels(
    placed.map((a) => {
      const p = at.get(a.relation.head);
      const q = at.get(a.relation.child);
      return { x1: p.x, x2: q.x, line: p.line === q.line ? p.line : `${p.line}-${q.line}` };
    }),
  );
  layer.setAttribute("width", String(text.scrollWidth));
  layer.setAttribute("height", String(text.scrollHeight));
  const source = item.payload.text || "";
  layer.replaceChildren(
    ...placed.map((a, i) => {
      const p = at.get(a.relation.head);
      const q = at.get(a.relation.child);
      return arcNode(a, arcGeometry(p.x, p.y, q.x, q.y, levels[i]), names, source);
    }),
  );
}

// ---------------------------------------------------------------------------- controls
function relationChips(names, keys, active) {
  return h(
    "div",
    { class: "nbl-chips nbl-relation-chips", role: "group", "aria-label": "relation labels" },
    h("span", { class: "nbl-relations-title", text: "Relations:" }),
    ...names.map((name, index) => {
      const chip = h(
        "button",
        {
          type: "button",
          class: "nbl-btn nbl-chip nbl-relation-chip",
          "data-relation-index": index,
          "aria-pressed": index === active ? "true" : "false",
          "aria-keyshortcuts": keys[index] || undefined,
          title: `${name}: relation label`,
        },
        keys[index] ? h("kbd", { text: keys[index] }) : null,
        h("span", { class: "nbl-label-text", text: name }),
      );
      chip.style.setProperty("--nbl-chip", relationColour(index));
      return chip;
    }),
  );
}

function statusRow(d, item, names, keys, active) {
  const text = item.payload.text;
  if (d.linking) {
    const to = d.linking.child ? quoteKey(text, d.linking.child) : "…";
    const choices = names.map((n, i) => `${keys[i] ?? "?"} ${n}`).join(", ");
    return h(
      "div",
      { class: "nbl-span-selected nbl-relation-status", role: "status" },
      h("span", { text: `Relation from ${quoteKey(text, d.linking.head)} to ${to}: press ${choices} (Enter: ${names[active]}); → ← or Tab: another span; Esc cancels` }),
      h("button", { type: "button", class: "nbl-btn", "data-action": "relation-cancel", text: "Cancel (Esc)" }),
    );
  }
  if (d.selected && d.selected.kind === "relation" && d.relations[d.selected.index]) {
    const r = d.relations[d.selected.index];
    return h(
      "div",
      { class: "nbl-span-selected nbl-relation-status", role: "status" },
      h("span", { text: `Relation ${names[r.label] ?? "?"}: ${quoteKey(text, r.head)} → ${quoteKey(text, r.child)} — a relation key relabels it` }),
      h("button", { type: "button", class: "nbl-btn", "data-action": "relation-delete", text: "Delete (Del)" }),
    );
  }
  return null;
}

// ---------------------------------------------------------------------------- the task's part
/**
 * The relations part of the Spans task, sharing its state `st` (st.draft, st.view). Every
 * method does nothing for a task without relations.
 */
export function createRelations(st) {
  let layer = null; // the SVG over the text on screen
  let observer = null;
  let last = null; // {ctx, item}: what the arcs were drawn for (a resize redraws them)
  let keyCache = { names: null, keys: [] };
  st.activeRelation = 0;

  const names = (ctx) => ctx.config().relations || [];
  const keysOf = (list) => {
    if (keyCache.names !== list) keyCache = { names: list, keys: hotkeysWithout(list.length, RELATION_COMMANDS) };
    return keyCache.keys;
  };

  function redraw() {
    if (!last || !st.view || !st.view.text || !layer) return;
    drawArcs(layer, st.view, draftFor(st, last.item), last.item, names(last.ctx));
  }

  function finish(ctx, item, label) {
    const d = draftFor(st, item);
    st.activeRelation = label;
    finishRelation(d, label, { names: names(ctx), text: item.payload.text });
    ctx.rerender();
  }

  function onLinkingKey(ctx, event, item, d, key, list) {
    const forward = key === "ArrowRight" || key === "ArrowDown" || (key === "Tab" && !event.shiftKey);
    const back = key === "ArrowLeft" || key === "ArrowUp" || (key === "Tab" && event.shiftKey);
    if (forward || back) moveChild(d, forward ? 1 : -1);
    else if (key === "Escape" || key === "Backspace") cancelRelation(d);
    else if (key === "Enter") finishRelation(d, (st.activeRelation = Math.min(st.activeRelation, list.length - 1)), { names: list, text: item.payload.text });
    else if (key === " " || key === "Delete") return true;
    else {
      const index = keysOf(list).indexOf(key);
      if (index < 0) return false;
      finish(ctx, item, index);
      return true;
    }
    ctx.rerender();
    return true;
  }

  function onClick(ctx, event) {
    const item = ctx.window.item;
    if (!item || !st.view || !st.view.text || st.view.key !== item.key) return;
    const d = draftFor(st, item);
    const arc = event.target.closest && event.target.closest(".nbl-arc[data-index]");
    if (arc && st.view.text.contains(arc)) {
      event.stopPropagation();
      const index = Number(arc.dataset.index);
      const same = d.selected && d.selected.kind === "relation" && d.selected.index === index;
      d.selected = same ? null : { kind: "relation", index };
      d.linking = null;
      d.cursor = null;
      ctx.rerender();
      ctx.root.focus({ preventScroll: true });
      return;
    }
    const seg = event.target.closest && event.target.closest(".nbl-seg");
    if (!seg || !st.view.text.contains(seg) || !(event.shiftKey || event.altKey || d.linking)) return;
    const pick = pickAt(st.view, seg, d.spans);
    if (!pick || pick.kind !== "span") return;
    event.stopPropagation();
    if (linkToSpan(d, spanKey(d.spans[pick.index])) && d.linking && names(ctx).length === 1) finish(ctx, item, 0);
    else ctx.rerender();
    ctx.root.focus({ preventScroll: true });
  }

  function onControlsClick(ctx, event) {
    const button = event.target.closest("button");
    const item = ctx.window.item;
    if (!button || !item) return;
    const d = draftFor(st, item);
    if (button.dataset.relationIndex !== undefined) {
      const index = Number(button.dataset.relationIndex);
      if (d.linking) return finish(ctx, item, index);
      if (d.selected && d.selected.kind === "relation") relabelRelation(d, index);
      else st.activeRelation = index;
    } else if (button.dataset.action === "relation-cancel") cancelRelation(d);
    else if (button.dataset.action === "relation-delete") removeSelected(d);
    else return;
    ctx.rerender();
  }

  return {
    /** Listeners on the text (capture: before the spans' own clicks) and the controls. */
    setup(ctx, { body, controls }) {
      const on = () => !!ctx.config().relations;
      const offs = [
        // Shift/Alt+click must not extend the text selection (that would tag a span)
        listen(body, "mousedown", (event) => {
          if (on() && (event.shiftKey || event.altKey) && event.target.closest && event.target.closest(".nbl-spanned")) event.preventDefault();
        }, { capture: true }),
        listen(body, "click", (event) => on() && onClick(ctx, event), { capture: true }),
        listen(controls, "click", (event) => on() && onControlsClick(ctx, event)),
      ];
      return () => {
        offs.forEach((off) => off());
        if (observer) observer.disconnect();
        observer = null;
        layer = null;
        last = null;
      };
    },

    /** Draw the arcs after the text was drawn (st.view). */
    draw(ctx, item) {
      const view = st.view;
      if (!ctx.config().relations || !view || !view.text) return;
      view.text.classList.add("nbl-with-relations");
      if (!layer || layer.parentNode !== view.text) {
        layer = svg("svg", { class: "nbl-arcs", role: "group", "aria-label": "relations between spans" });
        view.text.append(layer); // after the paragraphs: the text's own nodes come first
        if (observer) observer.disconnect();
        if (typeof ResizeObserver !== "undefined") {
          observer = new ResizeObserver(() => redraw());
          observer.observe(view.text);
        }
      }
      last = { ctx, item };
      drawArcs(layer, view, draftFor(st, item), item, names(ctx));
    },

    /** The relation chips and the line of what is drawn or selected, under the span controls. */
    renderControls(ctx, item, controls) {
      const list = names(ctx);
      if (!list.length) return;
      const d = draftFor(st, item);
      const keys = keysOf(list);
      const active = Math.min(st.activeRelation, list.length - 1);
      const highlighted = d.selected && d.selected.kind === "relation" && d.relations[d.selected.index] ? d.relations[d.selected.index].label : active;
      controls.append(relationChips(list, keys, highlighted));
      const status = statusRow(d, item, list, keys, active);
      if (status) controls.append(status);
    },

    /** Keys for relations; true when handled. */
    onKey(ctx, event, item) {
      const list = names(ctx);
      if (!list.length || !item || event.ctrlKey || event.metaKey || event.altKey) return false;
      const d = draftFor(st, item);
      const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
      if (d.linking) return onLinkingKey(ctx, event, item, d, key, list);
      if (key === "r") {
        const range = cursorRange(d, item.payload.tokens || []);
        startRelation(d, range ? range[0] : null);
      } else if (key === "]" || key === "[") {
        if (!selectRelation(d, key === "]" ? 1 : -1)) return true;
      } else if (d.selected && d.selected.kind === "relation" && keysOf(list).includes(key)) {
        relabelRelation(d, keysOf(list).indexOf(key));
      } else {
        return false;
      }
      ctx.rerender();
      return true;
    },
  };
}
