// The Boxes controls under the canvas: the label chips, Confirm and Fit, the suggestions'
// notice, and the box list (pick, hide, lock, delete per box). `st` is the task's state.

import { labelChips } from "./chips.js";
import { h } from "./dom.js";
import { deleteBox, draftFor, pendingSuggestions, pickBox, toggleBox } from "./boxes-draft.js";

const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

function boxRow(b, i, selected, labels) {
  const [x, y, w, hgt] = b.r.map(Math.round);
  return h("li", { class: `nbl-box-row${selected ? " nbl-box-row-selected" : ""}` },
    h("button", { type: "button", class: "nbl-btn nbl-box-pick", "data-box": i }, `${i + 1}. `, h("span", { text: labels[b.label] ?? "?" }),
      h("span", { class: "nbl-box-size", text: ` ${w}×${hgt} at ${x}, ${y}` })),
    h("button", { type: "button", class: "nbl-btn", "data-box": i, "data-toggle": "hidden", "aria-pressed": b.hidden ? "true" : "false", text: b.hidden ? "show" : "hide" }),
    h("button", { type: "button", class: "nbl-btn", "data-box": i, "data-toggle": "locked", "aria-pressed": b.locked ? "true" : "false", text: b.locked ? "unlock" : "lock" }),
    h("button", { type: "button", class: "nbl-btn", "data-box": i, "data-toggle": "delete", "aria-label": `Delete box ${i + 1}`, text: "×" }));
}

function actionRow(d) {
  const pending = pendingSuggestions(d);
  return h("div", { class: "nbl-actions" },
    h("button", { type: "button", class: "nbl-btn nbl-confirm", "data-action": "confirm" }, `Confirm ${d.boxes.length} box${d.boxes.length === 1 ? "" : "es"}`, h("kbd", { text: "Enter" })),
    h("button", { type: "button", class: "nbl-btn", "data-action": "fit" }, "Fit", h("kbd", { text: "0" })),
    pending ? h("span", { class: "nbl-notice", text: `${plural(pending, "suggested box", "suggested boxes")} (dashed): click one to accept or reject it` }) : null);
}

/** Draw the controls of `item` into `controls` (`keys`: the label hotkeys). */
export function renderBoxControls(st, ctx, item, controls, keys) {
  const { labels } = ctx.config();
  const d = draftFor(st, item);
  const parts = [
    labelChips(labels, keys, st.active, "label for new boxes"),
    actionRow(d),
    h("ol", { class: "nbl-box-list", "aria-label": "Boxes" }, ...d.boxes.map((b, i) => boxRow(b, i, i === d.selected, labels))),
  ];
  if (d.notice) parts.push(h("div", { class: "nbl-notice", role: "status", text: d.notice }));
  controls.replaceChildren(...parts);
}

/** A click on a box list button: pick the box, or hide, lock or delete it. */
export function onBoxButton(st, ctx, item, button) {
  const d = draftFor(st, item);
  const i = Number(button.dataset.box);
  const what = button.dataset.toggle;
  if (what === "hidden" || what === "locked") toggleBox(d, i, what);
  else if (what === "delete") deleteBox(d, i);
  else pickBox(d, i);
  ctx.rerender();
}
