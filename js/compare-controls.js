// The Compare controls: the four choices, strength and the view toggles, the rubric (1-5 per
// response and dimension), the justification box, Submit and the reason a submission is
// blocked. `st` is the task's state (compare.js).

import { h, listen } from "./dom.js";
import { compareDraftFor as draftFor, scoreRubric } from "./compare-model.js";

const CHOICE_NAMES = { left: "Left is better", right: "Right is better", tie: "Tie", both_bad: "Both bad" };
const CHOICE_KEYS = { left: "1 ←", right: "2 →", tie: "3", both_bad: "4" };

function choiceRow(d) {
  const choices = Object.keys(CHOICE_NAMES).map((choice) =>
    h("button", {
      type: "button",
      class: "nbl-btn nbl-choice",
      "data-choice": choice,
      "aria-pressed": d.choice === choice ? "true" : "false",
      "aria-keyshortcuts": CHOICE_KEYS[choice].split(" ")[0],
    }, h("kbd", { text: CHOICE_KEYS[choice] }), h("span", { text: CHOICE_NAMES[choice] })),
  );
  return h("div", { class: "nbl-choices" }, ...choices);
}

function optionRow(d, options) {
  return h("div", { class: "nbl-compare-options" },
    h("button", { type: "button", class: "nbl-btn nbl-strength", "data-action": "strength", "aria-pressed": d.strength === 2 ? "true" : "false" },
      d.strength === 2 ? "Clearly better" : "Slightly better", h("kbd", { text: "Shift" })),
    h("label", { class: "nbl-compare-toggle" }, h("input", { type: "checkbox", "data-toggle": "sync", checked: options.syncScroll }), " sync scrolling"),
    h("label", { class: "nbl-compare-toggle" }, h("input", { type: "checkbox", "data-toggle": "diff", checked: options.showDiff }), " highlight differences"));
}

function rubricTable(d, rubric) {
  const scores = (dimension, side) => {
    const focused = d.cursor && rubric[d.cursor.row] === dimension && d.cursor.side === side;
    return h("div", { class: "nbl-scores", role: "group", "aria-label": `${dimension}, ${side} response` },
      ...[1, 2, 3, 4, 5].map((n) => h("button", {
        type: "button",
        class: `nbl-btn nbl-score${focused ? " nbl-score-cursor" : ""}`,
        "data-row": dimension,
        "data-side": side,
        "data-score": n,
        "aria-pressed": d.rubric[dimension]?.[side] === n ? "true" : "false",
        text: String(n),
      })));
  };
  const rows = rubric.map((dimension) =>
    h("tr", {}, h("th", { scope: "row", text: dimension }), h("td", {}, scores(dimension, "left")), h("td", {}, scores(dimension, "right"))));
  return h("table", { class: "nbl-rubric" },
    h("thead", {}, h("tr", {}, h("th", { text: "rubric (r)" }), h("th", { text: "left" }), h("th", { text: "right" }))),
    h("tbody", {}, ...rows));
}

function justificationBox(d, c) {
  const box = h("textarea", {
    class: "nbl-justification",
    rows: "2",
    placeholder: c.require_justification ? `Why? (required, at least ${c.min_justification} characters; j)` : "Why? (optional; j)",
    "aria-label": "Justification",
  });
  box.value = d.justification;
  return box;
}

/** Draw the controls of `item`; `immediate`: a choice submits at once (no Submit button). */
export function renderCompareControls(st, ctx, item, controls, immediate) {
  const c = ctx.config();
  const d = draftFor(st, item);
  const parts = [choiceRow(d), optionRow(d, st.stage.options)];
  if ((c.rubric || []).length) parts.push(rubricTable(d, c.rubric));
  const keepFocus = st.justification && document.activeElement === st.justification;
  st.justification = justificationBox(d, c);
  parts.push(h("div", { class: "nbl-justification-row" }, st.justification,
    h("span", { class: "nbl-justification-count", text: `${d.justification.trim().length} characters` })));
  if (!immediate) parts.push(h("button", { type: "button", class: "nbl-btn nbl-confirm", "data-action": "submit" }, "Submit", h("kbd", { text: "Enter" })));
  if (d.reason) parts.push(h("div", { class: "nbl-compare-reason", role: "alert", text: d.reason }));
  controls.replaceChildren(...parts);
  if (keepFocus) st.justification.focus();
}

/** Typing the justification: keep it in the draft, update the count, clear the reason. */
function onJustificationInput(st, item, controls) {
  const d = draftFor(st, item);
  d.justification = st.justification.value;
  if (d.reason) {
    d.reason = ""; // typing answers it; Enter checks again
    controls.querySelector(".nbl-compare-reason")?.remove();
  }
  const counter = controls.querySelector(".nbl-justification-count");
  if (counter) counter.textContent = `${st.justification.value.trim().length} characters`;
}

/**
 * Listen to the controls; `act` has choose(item, choice, strength) and submit(item). Returns
 * the cleanups.
 */
export function listenToControls(st, ctx, controls, act) {
  const options = st.stage.options;
  return [
    listen(controls, "click", (event) => {
      const button = event.target.closest("button");
      const item = ctx.window.item;
      if (!button || !item) return;
      const d = draftFor(st, item);
      if (button.dataset.choice) act.choose(item, button.dataset.choice, event.shiftKey ? 2 : 1);
      else if (button.dataset.score) {
        const { row, side, score } = button.dataset;
        scoreRubric(d, row, side, Number(score));
        ctx.rerender();
      } else if (button.dataset.action === "submit") act.submit(item);
      else if (button.dataset.action === "strength") {
        d.strength = d.strength === 2 ? 1 : 2;
        ctx.rerender();
      }
    }),
    listen(controls, "change", (event) => {
      if (event.target.dataset.toggle === "sync") options.syncScroll = event.target.checked;
      if (event.target.dataset.toggle === "diff") {
        options.showDiff = event.target.checked;
        ctx.rerender();
      }
    }),
    listen(controls, "input", (event) => {
      const item = ctx.window.item;
      if (item && event.target === st.justification) onJustificationInput(st, item, controls);
    }),
    listen(controls, "keydown", (event) => {
      if (event.target !== st.justification) return;
      if (event.key === "Escape") {
        event.preventDefault();
        ctx.root.focus({ preventScroll: true });
      } else if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        const item = ctx.window.item;
        if (!item) return;
        draftFor(st, item).justification = st.justification.value;
        act.submit(item);
        if (!draftFor(st, item).reason) ctx.root.focus({ preventScroll: true });
      }
    }),
  ];
}
