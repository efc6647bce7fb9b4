// Compare: which of two responses is better. The screen only knows "left" and "right"; the
// kernel decided which response goes where and turns left/right back into the columns A/B.
// Responses arrive as HTML sanitised by the kernel (Markdown) or as chat messages. The parts:
// compare-model.js (keys, the draft, rubric scoring, what blocks a submission; pure),
// compare-panes.js (the pair on screen and the next one, diff, sync scrolling) and
// compare-controls.js. They share the task's state `st`:
//   draft          the choice, strength, rubric and justification being edited
//   stage          the pair stage (compare-panes.js), with its toggles in `stage.options`
//   justification  the justification box on screen

import { listen } from "./dom.js";
import { mountLabeler } from "./labeler.js";
import { listenToControls, renderCompareControls } from "./compare-controls.js";
import { blockReason, choiceForKey, compareDraftFor as draftFor, rubricKey } from "./compare-model.js";
import { createPairStage } from "./compare-panes.js";
import { createRankTask } from "./rank.js";

/** The fast path: without a rubric or a required justification, a choice is the answer. */
const immediate = (c) => !(c.rubric || []).length && !c.require_justification;

const HELP = (config) => [
  ["1 / ←", "the left response is better (Shift: clearly better)"],
  ["2 / →", "the right response is better (Shift: clearly better)"],
  ["3 · 4", "tie · both bad"],
  ["Enter", immediate(config) ? "(a choice submits at once)" : "submit"],
  ["j", "write the justification (Esc leaves the box, Enter submits)"],
  ...((config.rubric || []).length ? [["r", "score the rubric: 1–5 per cell, arrows move, Esc leaves"]] : []),
  ["↑ ↓", "previous / next item"],
  ["u · s · f · g", "undo · skip · flag · guidelines"],
];

/** Submit the draft, or say what blocks it. */
function submit(st, ctx, item) {
  const d = draftFor(st, item);
  const reason = blockReason(d, ctx.config());
  if (reason) {
    d.reason = reason;
    ctx.rerender();
    return;
  }
  ctx.label({
    choice: d.choice,
    strength: d.choice === "left" || d.choice === "right" ? d.strength : null,
    rubric: d.rubric,
    justification: d.justification,
  });
}

function choose(st, ctx, item, choice, strength) {
  const d = draftFor(st, item);
  d.choice = choice;
  d.strength = strength;
  d.reason = "";
  if (immediate(ctx.config())) submit(st, ctx, item);
  else ctx.rerender();
}

function onCompareKey(st, ctx, event, item) {
  if (!item || event.ctrlKey || event.metaKey || event.altKey) return false;
  const d = draftFor(st, item);
  const c = ctx.config();
  if (d.cursor) {
    if (!rubricKey(d, c.rubric, event)) return false;
    ctx.rerender();
    return true;
  }
  const choice = choiceForKey(event);
  if (choice) {
    choose(st, ctx, item, choice, event.shiftKey ? 2 : 1);
    return true;
  }
  if (event.key === "j" || event.key === "J") {
    st.justification?.focus();
    return true;
  }
  if ((event.key === "r" || event.key === "R") && (c.rubric || []).length) {
    d.cursor = { row: 0, side: "left" };
    ctx.rerender();
    return true;
  }
  return false;
}

function createCompareTask() {
  const st = { draft: null, stage: createPairStage(), justification: null };
  return {
    title: "Compare",
    hotkeys: () => [],
    navKeys: { prev: "↑", next: "↓" },
    helpRows: HELP,

    setup(ctx, { body, controls }) {
      const offs = [
        listen(body, "scroll", (event) => st.stage.onScroll(event), { capture: true }),
        ...listenToControls(st, ctx, controls, {
          choose: (item, choice, strength) => choose(st, ctx, item, choice, strength),
          submit: (item) => submit(st, ctx, item),
        }),
      ];
      return () => offs.forEach((off) => off());
    },

    renderItem: (ctx, item, body) => st.stage.show(ctx, item, body),
    renderControls: (ctx, item, controls) => renderCompareControls(st, ctx, item, controls, immediate(ctx.config())),
    onKey: (ctx, event, item) => onCompareKey(st, ctx, event, item),

    onAction(ctx, action, item) {
      if (!item) return false;
      if (action.type === "confirm") {
        submit(st, ctx, item);
        return true;
      }
      if (action.type === "next" || action.type === "prev") st.draft = null;
      return false;
    },
  };
}

export default {
  render({ model, el }) {
    const task = model.get("_config").mode === "rank" ? createRankTask() : createCompareTask();
    return mountLabeler({ model, el }, task);
  },
};
