// The Text task's nodes. The item area holds a stage of slots, one per item: its source text
// and its own text area. The next item's slot is built and laid out in advance under the one
// on screen (invisible, inert), so Ctrl+Enter only swaps which slot shows and moves the focus
// to its text area — no text is laid out or set on the key press (Compare's stage does the
// same with its pairs). The controls hold the panel, built once and updated in place: the
// length line, the reason a submission is blocked, the word diff against the draft, Submit,
// and (when adjudicating) a button per annotator to start from their text. Every user text
// goes in through textContent or a text area's value.

import { h } from "./dom.js";
import { diffSegments, diffSummary } from "./text-diff.js";
import { blockReason, lengthLine, textLength } from "./text-model.js";

/** The source text of an item (`null`: an empty cell). */
function sourceNode(text) {
  return text === null || text === undefined
    ? h("div", { class: "nbl-text nbl-text-source nbl-empty", text: "(empty)" })
    : h("div", { class: "nbl-text nbl-text-source", dir: "auto", text });
}


/** Show or hide a slot: a hidden one is invisible, inert and out of the accessibility tree. */
export function setSlotShown(slot, shown) {
  slot.el.classList.toggle("nbl-text-slot-next", !shown);
  slot.el.inert = !shown;
  if (shown) slot.el.removeAttribute("aria-hidden");
  else slot.el.setAttribute("aria-hidden", "true");
}

/** A text area holding `text`, caret at the start. */
function editorNode(text) {
  const area = h("textarea", {
    class: "nbl-text-editor",
    rows: "8",
    dir: "auto",
    spellcheck: "true",
    "aria-label": "Your text",
    "aria-keyshortcuts": "Control+Enter Meta+Enter Escape",
    placeholder: "Write here. Ctrl+Enter submits, Esc leaves the text area (Enter or e comes back).",
  });
  area.value = text;
  area.setSelectionRange(0, 0);
  return area;
}

/** The slot of `item` (its source, and a text area holding `text`), appended to `stage`. */
export function buildSlot(stage, item, text, shown) {
  const area = editorNode(text);
  const el = h("div", { class: "nbl-text-slot", "data-key": item.key }, sourceNode(item.payload.text), area);
  const slot = { key: item.key, el, area };
  setSlotShown(slot, shown);
  stage.append(el);
  return slot;
}

/** The panel under the item, built once. */
export function createPanel() {
  const count = h("span", { class: "nbl-text-count", "aria-live": "polite" });
  const submit = h("button", { type: "button", class: "nbl-btn nbl-confirm nbl-text-submit", "data-action": "submit", "aria-keyshortcuts": "Control+Enter" },
    "Submit", h("kbd", { text: "Ctrl+Enter" }));
  const reason = h("div", { class: "nbl-text-reason", hidden: true });
  const sources = h("div", { class: "nbl-text-sources", hidden: true });
  const diffHead = h("div", { class: "nbl-text-diff-head" });
  const diffBody = h("div", { class: "nbl-text-diff", dir: "auto" });
  const diff = h("div", { class: "nbl-text-diff-box", hidden: true, role: "region", "aria-label": "Changes to the draft" }, diffHead, diffBody);
  const root = h("div", { class: "nbl-text-panel" },
    sources,
    h("div", { class: "nbl-text-status" }, count, submit),
    reason,
    diff);
  return { root, count, submit, reason, sources, diff, diffHead, diffBody };
}

/** Set a node's text, an attribute or `hidden` only when it changes (no needless style work). */
function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}
function setAttr(node, name, value) {
  if (value === null) {
    if (node.hasAttribute(name)) node.removeAttribute(name);
  } else if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}
function setHidden(node, hidden) {
  if (node.hidden !== hidden) node.hidden = hidden;
}

/**
 * The length line and the reason under it for the `area`'s text. `attempted`: a submission was
 * just refused, so an empty text says so too (before that only a text out of its bounds does).
 * Returns why the text cannot be submitted ("" when it can).
 */
export function renderStatus(panel, area, config, attempted) {
  const text = area.value;
  const why = blockReason(text, config);
  const shown = attempted || textLength(text) > 0 ? why : "";
  setText(panel.count, lengthLine(text, config));
  setAttr(panel.count, "data-state", why ? "blocked" : "ok");
  setText(panel.reason, shown);
  setHidden(panel.reason, !shown);
  setAttr(panel.reason, "role", attempted && shown ? "alert" : null);
  setAttr(area, "aria-invalid", shown ? "true" : "false");
  return why;
}

/** The word diff of `text` against `draft` (hidden without a draft). The box keeps its height
 * whatever it shows, so the notebook is not laid out anew for each item. */
export function renderDiff(panel, text, draft) {
  if (typeof draft !== "string") {
    setHidden(panel.diff, true);
    return;
  }
  const result = diffSegments(draft, text);
  setHidden(panel.diff, false);
  setAttr(panel.diff, "data-changed", result.changed ? "true" : "false");
  setText(panel.diffHead, `Changes to the draft: ${diffSummary(result)}`);
  if (result.tooLarge || !result.changed || !(result.added || result.removed)) {
    if (panel.diffBody.firstChild) panel.diffBody.replaceChildren();
    return;
  }
  panel.diffBody.replaceChildren(
    ...result.segments.map((s) =>
      s.type === "same" ? document.createTextNode(s.text) : h(s.type === "added" ? "ins" : "del", { class: `nbl-text-${s.type}`, text: s.text }),
    ),
  );
}

/** The adjudication rows of `item` that hold a text (`item.review`: every annotator's value). */
export const sourceRows = (item) => (item.review || []).filter((r) => typeof r.value === "string");

/** Buttons to start from an annotator's text (adjudication), in the order of `sourceRows`. */
export function renderSources(panel, item) {
  const rows = sourceRows(item);
  setHidden(panel.sources, !rows.length);
  if (!rows.length) {
    if (panel.sources.firstChild) panel.sources.replaceChildren();
    return;
  }
  panel.sources.replaceChildren(
    h("span", { class: "nbl-text-sources-title", text: "Start from: " }),
    ...rows.map((r, i) => h("button", { type: "button", class: "nbl-btn nbl-text-start", "data-source": String(i), title: `Edit ${r.annotator}'s text` }, r.annotator)),
  );
}
