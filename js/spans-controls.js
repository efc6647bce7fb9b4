// The Spans controls under the text: the label chips, Confirm and the suggestions' buttons, the
// selected span or suggestion (relabel, delete, accept, reject), and the notice.

import { labelChips } from "./chips.js";
import { h } from "./dom.js";
import { quote } from "./spans-draft.js";

const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

function actionRow(d) {
  const pending = d.suggestions.filter((x) => x.state === "pending").length;
  const actions = [
    h("button", { type: "button", class: "nbl-btn nbl-confirm", "data-action": "confirm", "aria-keyshortcuts": "Enter" },
      d.spans.length ? `Confirm ${plural(d.spans.length, "span")}` : "Confirm no spans", h("kbd", { text: "Enter" })),
  ];
  if (pending) {
    actions.push(
      h("button", { type: "button", class: "nbl-btn", "data-action": "accept-all", text: `Accept ${plural(pending, "suggestion")}` }),
      h("button", { type: "button", class: "nbl-btn", "data-action": "reject-all", text: "Reject all" }),
    );
  }
  return h("div", { class: "nbl-actions" }, ...actions);
}

function selectedRow(d, item, labels) {
  const isSpan = d.selected.kind === "span";
  const x = isSpan ? d.spans[d.selected.index] : d.suggestions[d.selected.index].span;
  const what = `${isSpan ? "Span" : "Suggested"} ${labels[x[2]] ?? "?"} ${quote(item.payload.text, x)}`;
  return h("div", { class: "nbl-span-selected", role: "status" },
    h("span", { text: `${what} — a label key relabels it` }),
    isSpan ? null : h("button", { type: "button", class: "nbl-btn", "data-action": "accept", text: "Accept (Enter)" }),
    h("button", { type: "button", class: "nbl-btn", "data-action": "delete", text: isSpan ? "Delete (Del)" : "Reject (Del)" }));
}

/** Draw the controls for the draft `d` of `item` (`keys`: label hotkeys, `active`: the label
 * new spans get). */
export function renderSpanControls(d, item, controls, { labels, keys, active }) {
  const parts = [labelChips(labels, keys, active, "label for new spans"), actionRow(d)];
  if (d.selected && d.selected.kind !== "relation") parts.push(selectedRow(d, item, labels)); // relations: spans-relations.js
  if (d.notice) parts.push(h("div", { class: "nbl-notice", role: "status", text: d.notice }));
  controls.replaceChildren(...parts);
}
