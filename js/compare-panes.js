// The Compare stage: the prompt and both responses of the pair on screen, with the next pair
// laid out under it (invisible), so the next key press only swaps which one is visible (a
// repaint) instead of laying out two long answers. Also the word diff and sync scrolling.

import { diffWords } from "diff";
import { h, setContent } from "./dom.js";

/** Both responses as plain text with the words only one side has marked. */
function drawDiff(left, right) {
  const parts = diffWords(left.textContent || "", right.textContent || "");
  const l = h("div", { class: "nbl-diff" });
  const r = h("div", { class: "nbl-diff" });
  for (const p of parts) {
    if (p.added) r.append(h("mark", { class: "nbl-diff-only", text: p.value }));
    else if (p.removed) l.append(h("mark", { class: "nbl-diff-only", text: p.value }));
    else {
      l.append(p.value);
      r.append(p.value);
    }
  }
  left.replaceChildren(l);
  right.replaceChildren(r);
}

function pane(side, content) {
  const body = h("div", { class: "nbl-response-body", tabindex: "0", "aria-label": `${side} response` });
  setContent(body, content);
  return { el: h("section", { class: "nbl-response", "data-side": side }, h("div", { class: "nbl-response-head", text: side === "left" ? "Left" : "Right" }), body), body };
}

/** The prompt box shown above the responses (also used by the ranking). */
export function promptBox(content) {
  const prompt = h("div", { class: "nbl-prompt" });
  setContent(prompt, content);
  return h("div", { class: "nbl-prompt-box" }, h("div", { class: "nbl-response-head", text: "Prompt" }), prompt);
}

function setHidden(slot, hidden) {
  slot.el.classList.toggle("nbl-compare-slot-next", hidden);
  if (hidden) slot.el.setAttribute("aria-hidden", "true");
  else slot.el.removeAttribute("aria-hidden");
  slot.el.inert = hidden;
}

/**
 * Create the stage. Returns {show(ctx, item, body), onScroll(event), options}, where `options`
 * holds `syncScroll` and `showDiff` (the toggles under the controls).
 */
export function createPairStage() {
  const options = { syncScroll: false, showDiff: false };
  let stage = null; // the slots' container
  let slots = new Map(); // item key -> {el, left, right, diff}
  let panes = null; // {key, left, right, syncing}: the response bodies on screen
  let prebuild = null;

  /** The prompt and both responses of `item`, as one slot of the stage. */
  function buildSlot(item, hidden = false) {
    const p = item.payload;
    const parts = p.prompt ? [promptBox(p.prompt)] : [];
    const left = pane("left", p.left);
    const right = pane("right", p.right);
    if (options.showDiff) drawDiff(left.body, right.body);
    parts.push(h("div", { class: "nbl-responses" }, left.el, right.el));
    const el = h("div", { class: `nbl-compare-slot${hidden ? " nbl-compare-slot-next" : ""}`, "data-key": item.key }, ...parts);
    if (hidden) {
      el.setAttribute("aria-hidden", "true");
      el.inert = true;
    }
    stage.append(el);
    const slot = { el, left: left.body, right: right.body, diff: options.showDiff };
    slots.set(item.key, slot);
    return slot;
  }

  /** The slot of `item`, built anew when the diff toggle changed since it was built. */
  function slotFor(item) {
    let slot = slots.get(item.key);
    if (slot && slot.diff !== options.showDiff) {
      slot.el.remove();
      slots.delete(item.key);
      slot = null;
    }
    return slot || buildSlot(item);
  }

  /** Keep the slots of `item` and `upcoming` only; lay out the next pair in a moment. */
  function prepareNext(ctx, item, upcoming) {
    const keep = new Set([item.key, upcoming]);
    for (const [key, other] of slots) {
      if (!keep.has(key)) {
        other.el.remove();
        slots.delete(key);
      }
    }
    clearTimeout(prebuild);
    prebuild = setTimeout(() => {
      const next = upcoming === undefined ? null : ctx.window.items.get(upcoming);
      if (next && next.payload && !slots.has(next.key) && stage.isConnected) buildSlot(next, true);
    }, 30);
  }

  return {
    options,
    /** Show the pair of `item` in `body`. */
    show(ctx, item, body) {
      if (!stage || !body.contains(stage)) {
        stage = h("div", { class: "nbl-compare-stage" });
        slots = new Map();
        body.replaceChildren(stage);
      }
      const slot = slotFor(item);
      for (const [key, other] of slots) if (key !== item.key) setHidden(other, true);
      setHidden(slot, false);
      panes = { key: item.key, left: slot.left, right: slot.right, syncing: null };
      prepareNext(ctx, item, ctx.window.upcoming.find((key) => key !== item.key));
    },
    /** A response scrolled: with sync scrolling on, scroll the other to the same share. */
    onScroll(event) {
      if (!options.syncScroll || !panes) return;
      const from = event.target;
      const to = from === panes.left ? panes.right : from === panes.right ? panes.left : null;
      if (!to || panes.syncing === to) {
        panes.syncing = null;
        return;
      }
      const range = from.scrollHeight - from.clientHeight;
      panes.syncing = from;
      to.scrollTop = range > 0 ? (from.scrollTop / range) * (to.scrollHeight - to.clientHeight) : 0;
    },
  };
}
