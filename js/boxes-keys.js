// The Boxes keys before the shared keymap: Space (pan), + − 0 (zoom, fit), Esc, Delete and
// Backspace (delete, reject, undo/redo within the image), arrows (nudge) and Shift+D/H/L
// (duplicate, hide, lock). Returns true when a key was handled. `st` is the task's state.

import { drawBoxes, fitView, zoomView } from "./boxes-canvas.js";
import { clearSelection, deleteBox, draftFor, duplicateSelected, nudgeSelected, rejectSuggestion, toggleBox, undoBoxes } from "./boxes-draft.js";

const ZOOM = { "+": 1.25, "=": 1.25, "-": 0.8, _: 0.8 };

/** + − zoom about the canvas's centre, 0 fits the image. */
function viewKey(st, ctx, item, key) {
  if (!(key in ZOOM) && key !== "0") return false;
  if (st.view?.layer) {
    if (key === "0") fitView(st.view);
    else zoomView(st.view, ZOOM[key]);
    drawBoxes(st.view, draftFor(st, item), ctx.config().labels); // handles and label sizes follow the zoom
  }
  return true;
}

/** Esc, Delete and Backspace: deselect, reject a suggestion, delete a box, undo or redo. */
function removalKey(d, event) {
  const key = event.key;
  if (key === "Escape") return clearSelection(d);
  if ((key === "Delete" || key === "Backspace") && d.pickedSuggestion != null) {
    rejectSuggestion(d);
    return true;
  }
  if ((key === "Delete" || (key === "Backspace" && !event.shiftKey)) && d.boxes[d.selected]) {
    deleteBox(d, d.selected);
    return true;
  }
  if (key === "Backspace") return undoBoxes(d, event.shiftKey); // nothing here: the shell undoes the image
  return false;
}

/** Arrows nudge the selected box (Shift: 10 px); Shift+D, H, L duplicate, hide, lock it. */
function selectionKey(st, d, event) {
  const key = event.key;
  const sel = d.boxes[d.selected];
  if (!sel) return false;
  const { W, H } = st.view ?? {};
  if (key.startsWith("Arrow")) {
    const step = event.shiftKey ? 10 : 1;
    const dx = key === "ArrowLeft" ? -step : key === "ArrowRight" ? step : 0;
    const dy = key === "ArrowUp" ? -step : key === "ArrowDown" ? step : 0;
    nudgeSelected(d, dx, dy, W, H);
    return true;
  }
  if (!event.shiftKey) return false;
  if (key === "D") duplicateSelected(d, W, H);
  else if (key === "H") toggleBox(d, d.selected, "hidden");
  else if (key === "L") toggleBox(d, d.selected, "locked");
  else return false;
  return true;
}

/** The task's onKey. */
export function onBoxesKey(st, ctx, event, item) {
  if (!item || event.ctrlKey || event.metaKey || event.altKey) return false;
  if (event.key === " ") {
    st.spaceDown = true;
    return true;
  }
  if (viewKey(st, ctx, item, event.key)) return true;
  const d = draftFor(st, item);
  if (removalKey(d, event) || selectionKey(st, d, event)) {
    ctx.rerender();
    return true;
  }
  return false;
}
