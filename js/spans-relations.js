// Relations between spans on screen (a Spans widget with `relations`): the keys that draw,
// select and remove them, Shift/Alt+click from one span to another, the controls (the relation
// labels with their keys, what is being drawn or is selected) and which arcs to draw (the SVG
// layers are spans-arcs.js). A moment after an item is shown, the next one's text and arcs are
// drawn ahead, hidden under it (spans-text.js `drawAhead`): a document with a hundred spans
// takes longer to lay out than a frame, and the key that shows it then only swaps which text is
// visible. The draft's relations live in spans-draft.js and spans-relations-draft.js; this
// module only draws and listens. Relation labels reach the page only as text.

import { h, listen } from "./dom.js";
import { labelHotkeys } from "./keymap.js";
import { createArcLayer, relationColour } from "./spans-arcs.js";
import { cursorRange, draftFor, newDraft, removeSelected } from "./spans-draft.js";
import { cancelRelation, finishRelation, linkToSpan, moveChild, quoteKey, relabelRelation, selectRelation, startRelation } from "./spans-relations-draft.js";
import { RELATION_COMMANDS, hotkeysWithout, spanKey } from "./spans-relations-model.js";
import { drawAhead, overlays, pickAt } from "./spans-text.js";

/** Milliseconds after an item is drawn before the next one is drawn ahead. */
const AHEAD_MS = 30;

/** The arcs of draft `d`: every relation (the selected one marked), and the one being drawn. */
function arcsOf(d) {
  const arcs = d.relations.map((relation, index) => ({
    relation,
    index,
    selected: !!(d.selected && d.selected.kind === "relation" && d.selected.index === index),
  }));
  if (d.linking && d.linking.child) arcs.push({ relation: { ...d.linking, label: -1 }, pending: true });
  return arcs;
}

/** The item a key most likely shows next: the next one to label, else the next in order. */
function nextKey(win, key) {
  return win.upcoming.find((k) => k !== key) ?? (win.next !== key ? win.next : null);
}

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
  const layers = new Map(); // text element -> its arc layer (the text on screen, the one ahead)
  let keyCache = { names: null, keys: [] };
  let body = null;
  let timer = null;
  st.activeRelation = 0;

  /** The arc layer of `view`'s text (layers of texts no longer shown are dropped). */
  function layerFor(view) {
    for (const [text, layer] of layers) {
      if (!text.isConnected) {
        layer.cleanup();
        layers.delete(text);
      }
    }
    if (!layers.has(view.text)) layers.set(view.text, createArcLayer());
    return layers.get(view.text);
  }

  /** Draw the next item's text and arcs ahead, hidden (once the item on screen is drawn). */
  function drawNext(ctx) {
    timer = null;
    const item = ctx.window.item;
    if (!item || !body || !st.view || !st.view.text || st.view.key !== item.key) return;
    const key = nextKey(ctx.window, item.key);
    if (st.ahead && st.ahead.key === key && body.contains(st.ahead.text)) return;
    if (st.ahead) st.ahead.text.remove();
    st.ahead = null;
    const next = key === null ? null : ctx.window.items.get(key);
    if (!next || !next.payload || typeof next.payload.text !== "string") return;
    const d = newDraft(next);
    const labels = ctx.config().labels;
    st.ahead = drawAhead(next, body, overlays(d, null), labels);
    layerFor(st.ahead).draw(st.ahead, arcsOf(d), null, names(ctx), next.payload.text);
  }

  const names = (ctx) => ctx.config().relations || [];
  const keysOf = (list) => {
    if (keyCache.names !== list) keyCache = { names: list, keys: hotkeysWithout(list.length, RELATION_COMMANDS) };
    return keyCache.keys;
  };

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
    setup(ctx, parts) {
      const { controls } = parts;
      body = parts.body;
      const on = () => !!ctx.config().relations;
      // the text's room for arcs, set before any text is drawn (nblabel.css)
      body.classList.toggle("nbl-has-relations", on());
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
        clearTimeout(timer);
        for (const layer of layers.values()) layer.cleanup();
        layers.clear();
        body.classList.remove("nbl-has-relations");
      };
    },

    /** Draw the arcs after the text was drawn (st.view): every relation, and the one being
     * drawn (dashed); the spans of that one, or of the selected one, are marked. */
    draw(ctx, item) {
      if (!ctx.config().relations || !st.view || !st.view.text) return;
      const d = draftFor(st, item);
      const selected = d.selected && d.selected.kind === "relation" ? d.relations[d.selected.index] : null;
      layerFor(st.view).draw(st.view, arcsOf(d), d.linking || selected, names(ctx), item.payload.text || "");
      clearTimeout(timer);
      timer = setTimeout(() => drawNext(ctx), AHEAD_MS);
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
