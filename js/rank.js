// Ranking 3+ responses (Compare with responses=[...]): the responses are shown in a shuffled
// order chosen by the kernel and numbered 1..n as shown; the ranking is tie groups of those
// shown positions, best first. The kernel maps positions back to column names.

import { h, listen, setContent } from "./dom.js";
import { moveDown, moveUp, ranks, toggleTie } from "./compare-model.js";

export function createRankTask() {
  let draft = null;

  function draftFor(item, count) {
    if (!draft || draft.key !== item.key) {
      const given = item.value && Array.isArray(item.value.ranking) ? item.value.ranking : null;
      draft = {
        key: item.key,
        groups: given ? given.map((g) => g.slice()) : Array.from({ length: count }, (_, i) => [i]),
        selected: null,
        touched: !!given,
        confirmAsShown: false,
        reason: "",
      };
    }
    return draft;
  }

  function edit(ctx, item, op) {
    const d = draftFor(item, ctx.config().count);
    if (d.selected === null) {
      d.reason = "Select a response first: its number (1–" + ctx.config().count + ") or a click.";
    } else {
      d.groups = op(d.groups, d.selected);
      d.touched = true;
      d.reason = "";
    }
    ctx.rerender();
  }

  function submit(ctx, item) {
    const d = draftFor(item, ctx.config().count);
    if (!d.touched && !d.confirmAsShown) {
      d.confirmAsShown = true;
      d.reason = "The ranking is still the order shown. Press Enter again to submit it as it is.";
      ctx.rerender();
      return;
    }
    ctx.label({ ranking: d.groups.map((g) => g.slice()) });
  }

  return {
    title: "Compare (ranking)",
    hotkeys: () => [],
    navKeys: { prev: "k", next: "j" },

    helpRows(config) {
      return [
        [`1–${Math.min(9, config.count)}`, "select a response (as numbered on screen)"],
        ["↑ ↓", "move the selected response up / down the ranking"],
        ["=", "tie it with the response above (again: untie)"],
        ["Enter", "submit the ranking"],
        ["j / k", "next / previous item"],
        ["u · s · f · g", "undo · skip · flag · guidelines"],
      ];
    },

    setup(ctx, { body, controls }) {
      const pick = (event) => {
        const el = event.target.closest("[data-response]");
        const item = ctx.window.item;
        if (!el || !item) return;
        const d = draftFor(item, ctx.config().count);
        const x = Number(el.dataset.response);
        d.selected = d.selected === x ? null : x;
        d.reason = "";
        ctx.rerender();
      };
      const offs = [
        listen(body, "click", (event) => {
          if (!event.target.closest("a")) pick(event);
        }),
        listen(controls, "click", (event) => {
          const button = event.target.closest("button");
          const item = ctx.window.item;
          if (!button || !item) return;
          const action = button.dataset.action;
          if (action === "up") edit(ctx, item, moveUp);
          else if (action === "down") edit(ctx, item, moveDown);
          else if (action === "tie") edit(ctx, item, toggleTie);
          else if (action === "submit") submit(ctx, item);
          else pick(event);
        }),
      ];
      return () => offs.forEach((off) => off());
    },

    renderItem(ctx, item, body) {
      const p = item.payload;
      const d = draftFor(item, ctx.config().count);
      const parts = [];
      if (p.prompt) {
        const prompt = h("div", { class: "nbl-prompt" });
        setContent(prompt, p.prompt);
        parts.push(h("div", { class: "nbl-prompt-box" }, h("div", { class: "nbl-response-head", text: "Prompt" }), prompt));
      }
      const rank = ranks(d.groups);
      const cards = p.responses.map((r, i) => {
        const bodyEl = h("div", { class: "nbl-response-body" });
        setContent(bodyEl, r);
        return h(
          "section",
          { class: "nbl-response nbl-rank-card", "data-response": i, "aria-selected": d.selected === i ? "true" : "false" },
          h("div", { class: "nbl-response-head" }, h("kbd", { text: String(i + 1) }), ` Response ${i + 1} · rank ${rank.get(i)}`),
          bodyEl,
        );
      });
      parts.push(h("div", { class: "nbl-rank-cards" }, ...cards));
      body.replaceChildren(...parts);
    },

    renderControls(ctx, item, controls) {
      const d = draftFor(item, ctx.config().count);
      const rank = ranks(d.groups);
      const rows = d.groups.map((g, n) =>
        h(
          "li",
          { class: "nbl-rank-group" },
          h("span", { class: "nbl-rank-number", text: `${rank.get(g[0])}.` }),
          ...g.map((x, k) =>
            h(
              "button",
              { type: "button", class: "nbl-btn nbl-rank-item", "data-response": x, "aria-pressed": d.selected === x ? "true" : "false" },
              k > 0 ? "= " : "",
              `Response ${x + 1}`,
            ),
          ),
          n === 0 ? h("span", { class: "nbl-rank-best", text: "best" }) : null,
        ),
      );
      const parts = [
        h("ol", { class: "nbl-ranking", "aria-label": "Ranking, best first" }, ...rows),
        h(
          "div",
          { class: "nbl-actions" },
          h("button", { type: "button", class: "nbl-btn", "data-action": "up" }, "Move up", h("kbd", { text: "↑" })),
          h("button", { type: "button", class: "nbl-btn", "data-action": "down" }, "Move down", h("kbd", { text: "↓" })),
          h("button", { type: "button", class: "nbl-btn", "data-action": "tie" }, "Tie with above", h("kbd", { text: "=" })),
          h("button", { type: "button", class: "nbl-btn nbl-confirm", "data-action": "submit" }, "Submit", h("kbd", { text: "Enter" })),
        ),
      ];
      if (d.reason) parts.push(h("div", { class: "nbl-compare-reason", role: "alert", text: d.reason }));
      controls.replaceChildren(...parts);
    },

    onKey(ctx, event, item) {
      if (!item || event.ctrlKey || event.metaKey || event.altKey) return false;
      const count = ctx.config().count;
      const d = draftFor(item, count);
      const digit = /^Digit([1-9])$/.exec(event.code || "");
      if (digit && Number(digit[1]) <= count) {
        const x = Number(digit[1]) - 1;
        d.selected = d.selected === x ? null : x;
        d.reason = "";
        ctx.rerender();
        return true;
      }
      if (event.key === "ArrowUp" || event.key === "ArrowDown") {
        if (d.selected === null) return false; // nothing selected: the shell's navigation
        edit(ctx, item, event.key === "ArrowUp" ? moveUp : moveDown);
        return true;
      }
      if (event.key === "=") {
        edit(ctx, item, toggleTie);
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
