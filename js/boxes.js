// Boxes: draw bounding boxes on an image. The parts: boxes-draft.js (the boxes being edited,
// pure), boxes-canvas.js (the image, the SVG overlay, zoom and pan), boxes-gestures.js (pointer
// gestures), boxes-controls.js (chips, actions, box list), boxes-keys.js (the task's keys) and
// boxes-preload.js (decoding the next images ahead). They share the task's state `st`:
//   draft        the boxes being edited on the image on screen (boxes-draft.js)
//   active       the label index new boxes get
//   view         the canvas on screen (boxes-canvas.js), with `offs`, its listeners' cleanups
//   gesture      the pointer gesture in progress, or null
//   spaceDown    Space is held: a drag pans
//   preloaded    item key -> <img> decoding or decoded ahead; preloadTimer

import { COMMAND_LETTERS } from "./keymap.js";
import { mountLabeler } from "./labeler.js";
import { buildCanvas, drawBoxes, fitView, isStale, showImageError } from "./boxes-canvas.js";
import { onBoxButton, renderBoxControls } from "./boxes-controls.js";
import { acceptSuggestion, boxesValue, draftFor, relabelSelected } from "./boxes-draft.js";
import { listenToCanvas } from "./boxes-gestures.js";
import { onBoxesKey } from "./boxes-keys.js";
import { preloadNext, takePreloaded } from "./boxes-preload.js";
import { listen } from "./dom.js";

const HELP = [
  ["1–9, letters", "choose the label for new boxes (or relabel the selected box)"],
  ["drag · two clicks", "draw a box (corner, corner)"],
  ["click a box", "select it: drag to move, handles to resize"],
  ["Delete", "delete the selected box (Esc deselects)"],
  ["arrows", "nudge the selected box (Shift: 10 px)"],
  ["Shift+D · Shift+H · Shift+L", "duplicate · hide · lock the selected box"],
  ["wheel · + − · 0", "zoom at the cursor · zoom · fit"],
  ["Space + drag", "pan"],
  ["Enter", "confirm the image (on a suggested box: accept it)"],
  ["Backspace · Shift+Backspace", "undo · redo the last box change (then Backspace undoes the last image)"],
  ["j / k", "next / previous image"],
  ["u · s · f · g", "undo image · skip · flag · guidelines"],
];

/** Label keys: 1-9, then letters not used by commands (0 is "fit", d/h/l with Shift are taken). */
function boxHotkeys(count) {
  const keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9"];
  for (const c of "abcdefghijklmnopqrstuvwxyz") if (!COMMAND_LETTERS.has(c)) keys.push(c);
  return Array.from({ length: count }, (_, i) => keys[i] ?? null);
}

/** Draw the image of `item` (a new canvas when another image is on screen) and its boxes. */
function renderImage(st, ctx, item, body) {
  if (isStale(st.view, item, body)) {
    st.view?.offs?.forEach((off) => off());
    const p = item.payload;
    if (!p.image || p.image.error || !p.image.url) {
      st.view = showImageError(item, body);
    } else {
      // an image decoded ahead (see preloadNext) paints at once; otherwise it decodes now
      st.view = buildCanvas(item, body, takePreloaded(st, item.key));
      st.view.offs = listenToCanvas(st, ctx);
    }
  }
  drawBoxes(st.view, draftFor(st, item), ctx.config().labels);
  preloadNext(st, ctx, item);
}

/** A label key: accepts a picked suggestion with it, or relabels the selection and makes it
 * the label of new boxes. */
function chooseLabel(st, ctx, item, index) {
  if (index >= ctx.config().labels.length) return;
  const d = draftFor(st, item);
  if (d.pickedSuggestion != null) {
    acceptSuggestion(d, index);
  } else {
    relabelSelected(d, index);
    st.active = index;
  }
  ctx.rerender();
}

/** Enter: accepts a picked suggestion, or confirms the image's boxes. */
function confirmImage(st, ctx, item) {
  const d = draftFor(st, item);
  if (d.pickedSuggestion == null) {
    ctx.label(boxesValue(d));
    return;
  }
  acceptSuggestion(d, null);
  ctx.rerender();
}

function onControlsClick(st, ctx, event) {
  const button = event.target.closest("button");
  const item = ctx.window.item;
  if (!button || !item) return;
  if (button.dataset.index !== undefined) chooseLabel(st, ctx, item, Number(button.dataset.index));
  else if (button.dataset.box !== undefined) onBoxButton(st, ctx, item, button);
  else if (button.dataset.action === "confirm") ctx.label(boxesValue(draftFor(st, item)));
  else if (button.dataset.action === "fit") {
    fitView(st.view);
    drawBoxes(st.view, draftFor(st, item), ctx.config().labels);
  }
}

function createBoxesTask() {
  const st = { draft: null, active: 0, view: null, gesture: null, spaceDown: false, preloaded: new Map(), preloadTimer: null };
  let hotkeyCache = { labels: null, keys: [] };
  const hotkeys = (config) => {
    if (hotkeyCache.labels !== config.labels) hotkeyCache = { labels: config.labels, keys: boxHotkeys(config.labels.length) };
    return hotkeyCache.keys;
  };

  return {
    title: "Boxes",
    hotkeys,
    navKeys: { prev: "k", next: "j" },
    helpRows: () => HELP,

    setup(ctx, { controls }) {
      const offs = [
        listen(ctx.root, "keyup", (e) => {
          if (e.key === " ") st.spaceDown = false;
        }),
        listen(controls, "click", (event) => onControlsClick(st, ctx, event)),
      ];
      return () => {
        offs.forEach((off) => off());
        st.view?.offs?.forEach((off) => off());
      };
    },

    renderItem: (ctx, item, body) => renderImage(st, ctx, item, body),
    renderControls: (ctx, item, controls) => renderBoxControls(st, ctx, item, controls, hotkeys(ctx.config())),
    onKey: (ctx, event, item) => onBoxesKey(st, ctx, event, item),

    onAction(ctx, action, item) {
      if (!item) return false;
      if (action.type === "label") chooseLabel(st, ctx, item, action.index);
      else if (action.type === "confirm") confirmImage(st, ctx, item);
      else {
        if (action.type === "next" || action.type === "prev") st.draft = null;
        return false;
      }
      return true;
    },
  };
}

export default {
  render({ model, el }) {
    return mountLabeler({ model, el }, createBoxesTask());
  },
};
