// Compare: which of two responses is better. The screen only knows "left" and "right"; the
// kernel decided which response goes where and turns left/right back into the columns A/B.
// Responses arrive as HTML sanitised by the kernel (Markdown) or as chat messages.

import { diffWords } from "diff";
import { h, listen, setContent } from "./dom.js";
import { mountLabeler } from "./labeler.js";
import { blockReason, choiceForKey } from "./compare-model.js";
import { createRankTask } from "./rank.js";

const CHOICE_NAMES = { left: "Left is better", right: "Right is better", tie: "Tie", both_bad: "Both bad" };
const CHOICE_KEYS = { left: "1 ←", right: "2 →", tie: "3", both_bad: "4" };

function createCompareTask() {
  let draft = null;
  let syncScroll = false;
  let showDiff = false;
  let panes = null; // {key, left, right} elements on screen
  let stage = null; // the slots: the pair on screen and the next one, laid out but invisible
  let slots = new Map(); // item key -> {el, left, right, diff}
  let prebuild = null;
  let justification = null; // the textarea on screen

  function draftFor(item) {
    if (!draft || draft.key !== item.key) {
      const v = item.value || {};
      draft = {
        key: item.key,
        choice: v.choice ?? null,
        strength: v.strength ?? 1,
        rubric: JSON.parse(JSON.stringify(v.rubric || {})),
        justification: v.justification || "",
        cursor: null, // {row, side} while scoring the rubric with the keyboard
        reason: "",
      };
    }
    return draft;
  }

  function submit(ctx, item) {
    const d = draftFor(item);
    const c = ctx.config();
    const reason = blockReason(d, c);
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

  /** The fast path: without a rubric or a required justification, a choice is the answer. */
  const immediate = (c) => !(c.rubric || []).length && !c.require_justification;

  function choose(ctx, item, choice, strength) {
    const d = draftFor(item);
    d.choice = choice;
    d.strength = strength;
    d.reason = "";
    if (immediate(ctx.config())) submit(ctx, item);
    else ctx.rerender();
  }

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

  /** The prompt and both responses of `item`, as one slot of the stage. */
  function buildSlot(item, hidden = false) {
    const p = item.payload;
    const parts = [];
    if (p.prompt) {
      const prompt = h("div", { class: "nbl-prompt" });
      setContent(prompt, p.prompt);
      parts.push(h("div", { class: "nbl-prompt-box" }, h("div", { class: "nbl-response-head", text: "Prompt" }), prompt));
    }
    const left = pane("left", p.left);
    const right = pane("right", p.right);
    if (showDiff) drawDiff(left.body, right.body);
    parts.push(h("div", { class: "nbl-responses" }, left.el, right.el));
    const el = h("div", { class: `nbl-compare-slot${hidden ? " nbl-compare-slot-next" : ""}`, "data-key": item.key }, ...parts);
    if (hidden) {
      el.setAttribute("aria-hidden", "true");
      el.inert = true;
    }
    stage.append(el);
    const slot = { el, left: left.body, right: right.body, diff: showDiff };
    slots.set(item.key, slot);
    return slot;
  }

  function pane(side, content) {
    const body = h("div", { class: "nbl-response-body", tabindex: "0", "aria-label": `${side} response` });
    setContent(body, content);
    return { el: h("section", { class: "nbl-response", "data-side": side }, h("div", { class: "nbl-response-head", text: side === "left" ? "Left" : "Right" }), body), body };
  }

  function onScroll(event) {
    if (!syncScroll || !panes) return;
    const from = event.target;
    const to = from === panes.left ? panes.right : from === panes.right ? panes.left : null;
    if (!to || panes.syncing === to) {
      panes.syncing = null;
      return;
    }
    const range = from.scrollHeight - from.clientHeight;
    panes.syncing = from;
    to.scrollTop = range > 0 ? (from.scrollTop / range) * (to.scrollHeight - to.clientHeight) : 0;
  }

  return {
    title: "Compare",
    hotkeys: () => [],
    navKeys: { prev: "↑", next: "↓" },

    helpRows(config) {
      return [
        ["1 / ←", "the left response is better (Shift: clearly better)"],
        ["2 / →", "the right response is better (Shift: clearly better)"],
        ["3 · 4", "tie · both bad"],
        ["Enter", immediate(config) ? "(a choice submits at once)" : "submit"],
        ["j", "write the justification (Esc leaves the box, Enter submits)"],
        ...((config.rubric || []).length ? [["r", "score the rubric: 1–5 per cell, arrows move, Esc leaves"]] : []),
        ["↑ ↓", "previous / next item"],
        ["u · s · f · g", "undo · skip · flag · guidelines"],
      ];
    },

    setup(ctx, { body, controls }) {
      const item = () => ctx.window.item;
      const offs = [
        listen(body, "scroll", onScroll, { capture: true }),
        listen(controls, "click", (event) => {
          const button = event.target.closest("button");
          const it = item();
          if (!button || !it) return;
          const d = draftFor(it);
          if (button.dataset.choice) choose(ctx, it, button.dataset.choice, event.shiftKey ? 2 : 1);
          else if (button.dataset.score) {
            const { row, side, score } = button.dataset;
            d.rubric[row] = { ...(d.rubric[row] || {}), [side]: Number(score) };
            d.reason = "";
            ctx.rerender();
          } else if (button.dataset.action === "submit") submit(ctx, it);
          else if (button.dataset.action === "strength") {
            d.strength = d.strength === 2 ? 1 : 2;
            ctx.rerender();
          }
        }),
        listen(controls, "change", (event) => {
          if (event.target.dataset.toggle === "sync") syncScroll = event.target.checked;
          if (event.target.dataset.toggle === "diff") {
            showDiff = event.target.checked;
            ctx.rerender();
          }
        }),
        listen(controls, "input", (event) => {
          const it = item();
          if (it && event.target === justification) {
            const d = draftFor(it);
            d.justification = justification.value;
            if (d.reason) {
              d.reason = ""; // typing answers it; Enter checks again
              controls.querySelector(".nbl-compare-reason")?.remove();
            }
            const counter = controls.querySelector(".nbl-justification-count");
            if (counter) counter.textContent = `${justification.value.trim().length} characters`;
          }
        }),
        listen(controls, "keydown", (event) => {
          if (event.target !== justification) return;
          if (event.key === "Escape") {
            event.preventDefault();
            ctx.root.focus({ preventScroll: true });
          } else if (event.key === "Enter" && !event.shiftKey) {
            event.preventDefault();
            const it = item();
            if (it) {
              draftFor(it).justification = justification.value;
              submit(ctx, it);
              if (!draftFor(it).reason) ctx.root.focus({ preventScroll: true });
            }
          }
        }),
      ];
      return () => offs.forEach((off) => off());
    },

    renderItem(ctx, item, body) {
      if (!stage || !body.contains(stage)) {
        stage = h("div", { class: "nbl-compare-stage" });
        slots = new Map();
        body.replaceChildren(stage);
      }
      let slot = slots.get(item.key);
      if (slot && slot.diff !== showDiff) {
        slot.el.remove();
        slots.delete(item.key);
        slot = null;
      }
      if (!slot) slot = buildSlot(item);
      for (const [key, other] of slots) {
        if (key === item.key) continue;
        other.el.classList.add("nbl-compare-slot-next");
        other.el.setAttribute("aria-hidden", "true");
        other.el.inert = true;
      }
      slot.el.classList.remove("nbl-compare-slot-next");
      slot.el.removeAttribute("aria-hidden");
      slot.el.inert = false;
      panes = { key: item.key, left: slot.left, right: slot.right, syncing: null };
      // Lay out the next pair now, hidden in the same place, so the next key press only swaps
      // which one is visible (a repaint) instead of laying out two long answers.
      const upcoming = ctx.window.upcoming.find((key) => key !== item.key);
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
    },

    renderControls(ctx, item, controls) {
      const c = ctx.config();
      const d = draftFor(item);
      const choices = Object.keys(CHOICE_NAMES).map((choice) =>
        h(
          "button",
          {
            type: "button",
            class: "nbl-btn nbl-choice",
            "data-choice": choice,
            "aria-pressed": d.choice === choice ? "true" : "false",
            "aria-keyshortcuts": CHOICE_KEYS[choice].split(" ")[0],
          },
          h("kbd", { text: CHOICE_KEYS[choice] }),
          h("span", { text: CHOICE_NAMES[choice] }),
        ),
      );
      const parts = [h("div", { class: "nbl-choices" }, ...choices)];
      parts.push(
        h(
          "div",
          { class: "nbl-compare-options" },
          h("button", { type: "button", class: "nbl-btn nbl-strength", "data-action": "strength", "aria-pressed": d.strength === 2 ? "true" : "false" },
            d.strength === 2 ? "Clearly better" : "Slightly better", h("kbd", { text: "Shift" })),
          h("label", { class: "nbl-compare-toggle" }, h("input", { type: "checkbox", "data-toggle": "sync", checked: syncScroll }), " sync scrolling"),
          h("label", { class: "nbl-compare-toggle" }, h("input", { type: "checkbox", "data-toggle": "diff", checked: showDiff }), " highlight differences"),
        ),
      );
      if ((c.rubric || []).length) {
        const rows = c.rubric.map((dimension) => {
          const scores = (side) =>
            h(
              "div",
              { class: "nbl-scores", role: "group", "aria-label": `${dimension}, ${side} response` },
              ...[1, 2, 3, 4, 5].map((n) => {
                const on = d.rubric[dimension]?.[side] === n;
                const focused = d.cursor && c.rubric[d.cursor.row] === dimension && d.cursor.side === side;
                return h("button", {
                  type: "button",
                  class: `nbl-btn nbl-score${focused ? " nbl-score-cursor" : ""}`,
                  "data-row": dimension,
                  "data-side": side,
                  "data-score": n,
                  "aria-pressed": on ? "true" : "false",
                  text: String(n),
                });
              }),
            );
          return h("tr", {}, h("th", { scope: "row", text: dimension }), h("td", {}, scores("left")), h("td", {}, scores("right")));
        });
        parts.push(
          h("table", { class: "nbl-rubric" }, h("thead", {}, h("tr", {}, h("th", { text: "rubric (r)" }), h("th", { text: "left" }), h("th", { text: "right" }))), h("tbody", {}, ...rows)),
        );
      }
      const keepFocus = justification && document.activeElement === justification;
      justification = h("textarea", {
        class: "nbl-justification",
        rows: "2",
        placeholder: c.require_justification ? `Why? (required, at least ${c.min_justification} characters; j)` : "Why? (optional; j)",
        "aria-label": "Justification",
      });
      justification.value = d.justification;
      parts.push(
        h("div", { class: "nbl-justification-row" }, justification, h("span", { class: "nbl-justification-count", text: `${d.justification.trim().length} characters` })),
      );
      if (!immediate(c)) {
        parts.push(h("button", { type: "button", class: "nbl-btn nbl-confirm", "data-action": "submit" }, "Submit", h("kbd", { text: "Enter" })));
      }
      if (d.reason) parts.push(h("div", { class: "nbl-compare-reason", role: "alert", text: d.reason }));
      controls.replaceChildren(...parts);
      if (keepFocus) justification.focus();
    },

    onKey(ctx, event, item) {
      if (!item || event.ctrlKey || event.metaKey || event.altKey) return false;
      const d = draftFor(item);
      const c = ctx.config();
      if (d.cursor) {
        const rows = c.rubric.length;
        if (/^Digit[1-5]$/.test(event.code)) {
          const dimension = c.rubric[d.cursor.row];
          d.rubric[dimension] = { ...(d.rubric[dimension] || {}), [d.cursor.side]: Number(event.code.slice(5)) };
          // next cell: the right score of this row, then the left of the next
          if (d.cursor.side === "left") d.cursor.side = "right";
          else if (d.cursor.row + 1 < rows) d.cursor = { row: d.cursor.row + 1, side: "left" };
          else d.cursor = null;
        } else if (event.key === "ArrowLeft" || event.key === "ArrowRight") d.cursor.side = event.key === "ArrowLeft" ? "left" : "right";
        else if (event.key === "ArrowUp") d.cursor.row = Math.max(0, d.cursor.row - 1);
        else if (event.key === "ArrowDown") d.cursor.row = Math.min(rows - 1, d.cursor.row + 1);
        else if (event.key === "Escape") d.cursor = null;
        else return false;
        d.reason = "";
        ctx.rerender();
        return true;
      }
      const choice = choiceForKey(event);
      if (choice) {
        choose(ctx, item, choice, event.shiftKey ? 2 : 1);
        return true;
      }
      if (event.key === "j" || event.key === "J") {
        justification?.focus();
        return true;
      }
      if ((event.key === "r" || event.key === "R") && (c.rubric || []).length) {
        d.cursor = { row: 0, side: "left" };
        ctx.rerender();
        return true;
      }
      return false;
    },

    onAction(ctx, action, item) {
      if (!item) return false;
      if (action.type === "confirm") {
        submit(ctx, item);
        return true;
      }
      if (action.type === "next" || action.type === "prev") draft = null;
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
