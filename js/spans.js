// Spans: tag spans of text with labels. Offsets here are UTF-16 (the browser's string indices);
// the kernel converts them to Python code points. Label names reach the page only as text
// (textContent, or a data attribute shown by CSS attr()). The parts: spans-draft.js (the spans
// being edited, pure), spans-text.js (drawing the text), spans-pointer.js (the mouse on the
// text), spans-controls.js (chips, actions, the selection) and, with `relations`,
// spans-relations.js (arcs between spans). They share the task's state `st`:
//   draft        the spans being edited on the item on screen (spans-draft.js)
//   active       the label index new spans get
//   view         what the text on screen was drawn from (spans-text.js)
//   ahead        the next item's text, drawn hidden in advance (with relations), or null
//   graphemes    item -> its grapheme boundaries (cached per item)

import { listen } from "./dom.js";
import { mountLabeler } from "./labeler.js";
import { renderSpanControls } from "./spans-controls.js";
import {
  acceptSuggestion,
  clearSelection,
  cursorRange,
  draftFor,
  enterStep,
  moveCursor,
  relabelSelected,
  removeSelected,
  settleAll,
  tagSpan,
  unask,
  undoSpan,
} from "./spans-draft.js";
import { graphemeBoundaries, tokenAfter } from "./spans-model.js";
import { onMouseUp, onTextClick } from "./spans-pointer.js";
import { createRelations, relationHelp, spanHotkeys } from "./spans-relations.js";
import { encodeValue } from "./spans-relations-model.js";
import { drawText, overlays } from "./spans-text.js";

const HELP = (config) => [
  ["1–9, 0, letters", "choose the label for new spans (or relabel the selected span)"],
  ["drag / double-click", `tag the selection (snaps to ${config.snap === "char" ? "characters" : "words"}; Shift held on release: characters)`],
  ["→ ← / Shift+→ ←", "move / extend the token cursor"],
  ["Enter", "tag the cursor's tokens; with nothing selected, confirm the item"],
  ["Enter Enter", "on an item with no spans: confirm that it has none (the first Enter asks)"],
  ["Space", "confirm the item"],
  ["click a span", "select it: a label key relabels, Delete removes, Enter accepts a suggestion"],
  ["Backspace", "undo the last span change (then the last item)"],
  ["j / k", "next / previous item"],
  ["u", "undo the last item"],
  ["s · f · g", "skip · flag · guidelines"],
  ["Esc", "clear the selection and cursor"],
];

const tokensOf = (item) => item.payload.tokens || [];

/** Tag [s, e) with the active label (or `label`) and redraw when a span was added. */
function tag(st, ctx, item, s, e, label = st.active) {
  const { overlap, labels } = ctx.config();
  if (tagSpan(draftFor(st, item), item, [s, e, label], { overlap, labels })) ctx.rerender();
}

function confirm(st, ctx, item) {
  const d = draftFor(st, item);
  ctx.label(encodeValue(d.spans, d.relations, !!ctx.config().relations));
}

/** Enter or Space: confirm the item, or ask first when it has no span (spans-draft.js). */
function confirmByKey(st, ctx, item) {
  if (enterStep(draftFor(st, item), item) === "confirm") confirm(st, ctx, item);
  else ctx.rerender();
}

/** Run `change(d)` on the draft of `item` and redraw when it changed something. */
function edit(st, ctx, item, change) {
  const changed = change(draftFor(st, item));
  if (changed !== false) ctx.rerender();
  return changed !== false;
}

function onCursorKey(st, ctx, item, step, extend) {
  if (!moveCursor(draftFor(st, item), tokensOf(item).length / 2, step, extend)) return;
  ctx.rerender();
  st.view?.text?.querySelector(".nbl-span-cursor")?.scrollIntoView({ block: "nearest" });
}

function onSpansKey(st, ctx, event, item) {
  if (!item || event.ctrlKey || event.metaKey || event.altKey) return false;
  const d = draftFor(st, item);
  if (!["Enter", " ", "Shift", "Control", "Alt", "Meta"].includes(event.key)) unask(d);
  switch (event.key) {
    case "ArrowRight":
    case "ArrowLeft":
      onCursorKey(st, ctx, item, event.key === "ArrowRight" ? 1 : -1, event.shiftKey);
      return true;
    case "Delete":
      return edit(st, ctx, item, removeSelected);
    case "Backspace":
      // nothing to undo here either: false, and the shell undoes the last item
      return edit(st, ctx, item, removeSelected) || edit(st, ctx, item, undoSpan);
    case " ":
      if (d.cursor || d.selected) return false;
      confirmByKey(st, ctx, item);
      return true;
    case "Escape":
      return edit(st, ctx, item, clearSelection);
    default:
      return false;
  }
}

/** A label key: relabel the selected span, accept the selected suggestion with that label, or
 * make it the active label (tagging the cursor's tokens with it). */
function chooseLabel(st, ctx, item, index) {
  const { labels, overlap } = ctx.config();
  if (index >= labels.length) return;
  const d = draftFor(st, item);
  if (d.selected && d.selected.kind === "span") {
    relabelSelected(d, index, overlap);
    ctx.rerender();
    return;
  }
  if (d.selected && d.selected.kind === "suggestion") {
    acceptSuggestion(d, d.selected.index, index, overlap);
    ctx.rerender();
    return;
  }
  st.active = index;
  const range = cursorRange(d, tokensOf(item));
  if (range) tag(st, ctx, item, range[0], range[1]);
  else ctx.rerender();
}

/** Enter: accept the selected suggestion, tag the cursor's tokens (the cursor moves past
 * them), or confirm the item. */
function onEnter(st, ctx, item) {
  const d = draftFor(st, item);
  if (d.selected && d.selected.kind === "suggestion") {
    acceptSuggestion(d, d.selected.index, undefined, ctx.config().overlap);
    ctx.rerender();
    return;
  }
  const tokens = tokensOf(item);
  const range = cursorRange(d, tokens);
  if (!range) {
    confirmByKey(st, ctx, item);
    return;
  }
  tag(st, ctx, item, range[0], range[1]);
  const next = Math.min(tokens.length / 2 - 1, tokenAfter(tokens, range[1]));
  d.cursor = { anchor: next, focus: next };
  ctx.rerender();
}

function onControlsClick(st, ctx, event) {
  const button = event.target.closest("button");
  const item = ctx.window.item;
  if (!button || !item) return;
  const { overlap } = ctx.config();
  const action = button.dataset.action;
  if (button.dataset.index !== undefined) chooseLabel(st, ctx, item, Number(button.dataset.index));
  else if (action === "confirm") confirm(st, ctx, item);
  else if (action === "accept-all") edit(st, ctx, item, (d) => settleAll(d, "accepted", overlap));
  else if (action === "reject-all") edit(st, ctx, item, (d) => settleAll(d, "rejected", overlap));
  else if (action === "delete") edit(st, ctx, item, removeSelected);
  else if (action === "accept") edit(st, ctx, item, (d) => acceptSuggestion(d, d.selected.index, undefined, overlap));
}

function renderText(st, ctx, item, body) {
  const d = draftFor(st, item);
  const shown = item.payload.text === null || item.payload.text === undefined ? [] : overlays(d, cursorRange(d, tokensOf(item)));
  st.view = drawText(st.view, item, body, shown, ctx.config().labels, st.ahead);
  if (st.ahead && (st.view === st.ahead || !body.contains(st.ahead.text))) st.ahead = null;
}

function createSpansTask() {
  let hotkeyCache = { labels: null, keys: [] };
  let boundsCache = { key: null, bounds: null };
  const st = {
    draft: null,
    active: 0,
    view: null,
    ahead: null, // the next item's text drawn ahead (with relations: spans-relations.js)
    graphemes(item) {
      if (boundsCache.key !== item.key) boundsCache = { key: item.key, bounds: graphemeBoundaries(item.payload.text || "") };
      return boundsCache.bounds;
    },
  };
  const hotkeys = (config) => {
    if (hotkeyCache.labels !== config.labels) hotkeyCache = { labels: config.labels, keys: spanHotkeys(config) };
    return hotkeyCache.keys;
  };
  const relations = createRelations(st);

  return {
    title: "Spans",
    hotkeys,
    navKeys: { prev: "k", next: "j" }, // the arrows move the token cursor
    helpRows: (config) => [...HELP(config), ...relationHelp(config)],

    setup(ctx, { body, controls }) {
      const offs = [
        listen(body, "mouseup", (event) => onMouseUp(st, ctx, event, (item, s, e) => tag(st, ctx, item, s, e))),
        listen(body, "click", (event) => onTextClick(st, ctx, event)),
        listen(controls, "click", (event) => onControlsClick(st, ctx, event)),
      ];
      const offRelations = relations.setup(ctx, { body, controls });
      return () => {
        offs.forEach((off) => off());
        offRelations();
      };
    },

    renderItem(ctx, item, body) {
      renderText(st, ctx, item, body);
      relations.draw(ctx, item);
    },
    renderControls(ctx, item, controls) {
      const config = ctx.config();
      renderSpanControls(draftFor(st, item), item, controls, { labels: config.labels, keys: hotkeys(config), active: st.active });
      relations.renderControls(ctx, item, controls);
    },
    onKey: (ctx, event, item) => relations.onKey(ctx, event, item) || onSpansKey(st, ctx, event, item),

    onAction(ctx, action, item) {
      if (!item) return false;
      if (action.type === "label") chooseLabel(st, ctx, item, action.index);
      else if (action.type === "confirm") onEnter(st, ctx, item);
      else {
        if (action.type === "next" || action.type === "prev") st.draft = null; // leaving the item drops unconfirmed edits
        return false;
      }
      return true;
    },
  };
}

export default {
  render({ model, el }) {
    return mountLabeler({ model, el }, createSpansTask());
  },
};
