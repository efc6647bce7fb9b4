// The Text task's nodes: the source text, and the panel under it — the text area, the length
// line, the reason a submission is blocked, the word diff against the draft, Submit, and (when
// adjudicating) a button per annotator to start from their text. Built once and updated in
// place, so the text area keeps its focus, caret and undo history while windows arrive.
// Every user text goes in through textContent or the text area's value.

import { h } from "./dom.js";
import { diffSegments, diffSummary } from "./text-diff.js";
import { blockReason, lengthLine, textLength } from "./text-model.js";

/** The source text of an item (`null`: an empty cell). */
export function sourceNode(text) {
  return text === null || text === undefined
    ? h("div", { class: "nbl-text nbl-text-source nbl-empty", text: "(empty)" })
    : h("div", { class: "nbl-text nbl-text-source", dir: "auto", text });
}

/** The panel's nodes, built once. */
export function createPanel() {
  const area = h("textarea", {
    class: "nbl-text-editor",
    rows: "8",
    dir: "auto",
    spellcheck: "true",
    "aria-label": "Your text",
    "aria-keyshortcuts": "Control+Enter Meta+Enter Escape",
    placeholder: "Write here. Ctrl+Enter submits, Esc leaves the text area (Enter or e comes back).",
  });
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
    area,
    h("div", { class: "nbl-text-status" }, count, submit),
    reason,
    diff);
  return { root, area, count, submit, reason, sources, diff, diffHead, diffBody };
}

/** Show `text` in the text area (a new item): caret and scroll at the start. */
export function loadText(panel, text) {
  panel.area.value = text;
  panel.area.setSelectionRange(0, 0);
  panel.area.scrollTop = 0;
}

/**
 * The length line and the reason under it. `attempted`: a submission was just refused, so an
 * empty text says so too (before that only a text out of its bounds does).
 */
export function renderStatus(panel, config, attempted) {
  const text = panel.area.value;
  const why = blockReason(text, config);
  const shown = attempted || textLength(text) > 0 ? why : "";
  panel.count.textContent = lengthLine(text, config);
  panel.count.dataset.state = why ? "blocked" : "ok";
  panel.reason.textContent = shown;
  panel.reason.hidden = !shown;
  if (attempted && shown) panel.reason.setAttribute("role", "alert");
  else panel.reason.removeAttribute("role");
  panel.area.setAttribute("aria-invalid", shown ? "true" : "false");
  return why;
}

/** The word diff of the text area against `draft` (hidden without a draft). */
export function renderDiff(panel, draft) {
  if (typeof draft !== "string") {
    panel.diff.hidden = true;
    return;
  }
  const result = diffSegments(draft, panel.area.value);
  panel.diff.hidden = false;
  panel.diff.dataset.changed = result.changed ? "true" : "false";
  panel.diffHead.textContent = `Changes to the draft: ${diffSummary(result)}`;
  if (result.tooLarge || !result.changed || !(result.added || result.removed)) {
    panel.diffBody.replaceChildren();
    panel.diffBody.hidden = true;
    return;
  }
  panel.diffBody.hidden = false;
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
  panel.sources.hidden = !rows.length;
  if (!rows.length) {
    panel.sources.replaceChildren();
    return;
  }
  panel.sources.replaceChildren(
    h("span", { class: "nbl-text-sources-title", text: "Start from: " }),
    ...rows.map((r, i) => h("button", { type: "button", class: "nbl-btn nbl-text-start", "data-source": String(i), title: `Edit ${r.annotator}'s text` }, r.annotator)),
  );
}
