// The mouse on the Spans text: a drag (or double-click) tags the selection, snapped to tokens
// or characters; a click on a span or suggestion selects it. `st` is the task's state.

import { readSelection } from "./selection.js";
import { draftFor, markUnreadable } from "./spans-draft.js";
import { snapToCharacters, snapToTokens } from "./spans-model.js";
import { offsetOf, pickAt } from "./spans-text.js";

/** The selection's [start, end] offsets in the item's text, snapped; null when it is empty
 * after snapping, "unreadable" when it cannot be placed in the text. */
function selectedRange(st, item, byChar) {
  const selection = readSelection(st.view.text);
  if (!selection) return null;
  const { range } = selection;
  selection.clear();
  if (!range || !st.view.text.contains(range.startContainer) || !st.view.text.contains(range.endContainer)) return "unreadable";
  const s = offsetOf(range.startContainer, range.startOffset);
  const e = offsetOf(range.endContainer, range.endOffset);
  const text = item.payload.text || "";
  return byChar ? snapToCharacters(text, st.graphemes(item), s, e) : snapToTokens(item.payload.tokens || [], s, e);
}

/** Mouse up on the text: tag what was selected with the active label (`tag(item, s, e)`). */
export function onMouseUp(st, ctx, event, tag) {
  const item = ctx.window.item;
  if (!item || !st.view || st.view.key !== item.key || !st.view.text) return;
  const range = selectedRange(st, item, event.shiftKey || ctx.config().snap === "char");
  if (range === "unreadable") {
    markUnreadable(draftFor(st, item));
    ctx.rerender();
    return;
  }
  if (!range) return;
  tag(item, range[0], range[1]);
  ctx.root.focus({ preventScroll: true });
}

/** A click on the text (not a selection): select the innermost span under it, or deselect. */
export function onTextClick(st, ctx, event) {
  const item = ctx.window.item;
  if (!item || !st.view || !st.view.text || readSelection(st.view.text)) return;
  const seg = event.target.closest(".nbl-seg");
  if (!seg || !st.view.text.contains(seg)) return;
  const d = draftFor(st, item);
  const pick = pickAt(st.view, seg, d.spans);
  if (!pick) return;
  const same = d.selected && d.selected.kind === pick.kind && d.selected.index === pick.index;
  d.selected = same ? null : pick;
  d.cursor = null;
  ctx.rerender();
}
