// Label chips shared by the tasks that draw with a label chosen in advance (Spans, Boxes):
// one colour per label, the hotkey on the chip, the active label pressed.

import { h } from "./dom.js";

/** Okabe & Ito's colour-blind-safe palette, one colour per label (cycled). */
export const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#8C6D1F", "#555555"];

/** The colour of label `index`. */
export function colour(index) {
  return PALETTE[index % PALETTE.length];
}

/** A row of label chips (`data-index` = the label's index); `what` says what the label is for. */
export function labelChips(labels, keys, active, what) {
  const chips = labels.map((label, index) => {
    const chip = h(
      "button",
      {
        type: "button",
        class: "nbl-btn nbl-label-btn nbl-chip",
        "data-index": index,
        "aria-label": label,
        "aria-pressed": index === active ? "true" : "false",
        "aria-keyshortcuts": keys[index] || undefined,
        title: `${label}: ${what}`,
      },
      keys[index] ? h("kbd", { text: keys[index] }) : null,
      h("span", { class: "nbl-label-text", text: label }),
    );
    chip.style.setProperty("--nbl-chip", colour(index));
    return chip;
  });
  return h("div", { class: "nbl-chips" }, ...chips);
}
