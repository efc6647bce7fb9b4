// Ranking 3+ responses (Compare with responses=[...]): the responses are shown in a shuffled
// order chosen by the kernel and numbered 1..n as shown; the ranking is tie groups of those
// shown positions, best first. The kernel maps positions back to column names.

import { h, listen, setContent } from "./dom.js";
import { moveDown, moveUp, ranks, toggleTie } from "./compare-model.js";
import { promptBox } from "./compare-panes.js";

const HELP = (config) => [
  [`1–${Math.min(9, config.count)}`, "select a response (as numbered on screen)"],
  ["↑ ↓", "move the selected response up / down the ranking"],
  ["=", "tie it with the response above (again: untie)"],
  ["Enter", "submit the ranking"],
  ["j / k", "next / previous item"],
  ["u · s · f · g", "undo · skip · flag · guidelines"],
];

/** The ranking being edited for `item` (`count` responses; shown order until changed). */
function draftFor(st, item, count) {
  if (!st.draft || st.draft.key !== item.key) {
    const given = item.value && Array.isArray(item.value.ranking) ? item.value.ranking : null;
    st.draft = {
      key: item.key,
      groups: given ? given.map((g) => g.slice()) : Array.from({ length: count }, (_, i) => [i]),
      selected: null,
      touched: !!given,
      confirmAsShown: false,
      reason: "",
    };
  }
  return st.draft;
}

/** Apply `op` (moveUp, moveDown, toggleTie) to the selected response. */
function edit(st, ctx, item, op) {
  const d = draftFor(st, item, ctx.config().count);
  if (d.selected === null) {
    d.reason = "Select a response first: its number (1–" + ctx.config().count + ") or a click.";
  } else {
    d.groups = op(d.groups, d.selected);
    d.touched = true;
    d.reason = "";
  }
  ctx.rerender();
}

/** Select response `x` (or deselect it). */
function select(st, ctx, item, x) {
  const d = draftFor(st, item, ctx.config().count);
  d.selected = d.selected === x ? null : x;
  d.reason = "";
  ctx.rerender();
}

/** Submit the ranking; an untouched one (the order shown) only on the second Enter. */
function submit(st, ctx, item) {
  const d = draftFor(st, item, ctx.config().count);
  if (!d.touched && !d.confirmAsShown) {
    d.confirmAsShown = true;
    d.reason = "The ranking is still the order shown. Press Enter again to submit it as it is.";
    ctx.rerender();
    return;
  }
  ctx.label({ ranking: d.groups.map((g) => g.slice()) });
}

/** The prompt and a card per response, numbered as shown, with its current rank. */
function renderCards(st, ctx, item, body) {
  const p = item.payload;
  const d = draftFor(st, item, ctx.config().count);
  const rank = ranks(d.groups);
  const cards = p.responses.map((r, i) => {
    const bodyEl = h("div", { class: "nbl-response-body" });
    setContent(bodyEl, r);
    return h("section", { class: "nbl-response nbl-rank-card", "data-response": i, "aria-selected": d.selected === i ? "true" : "false" },
      h("div", { class: "nbl-response-head" }, h("kbd", { text: String(i + 1) }), ` Response ${i + 1} · rank ${rank.get(i)}`),
      bodyEl);
  });
  body.replaceChildren(...(p.prompt ? [promptBox(p.prompt)] : []), h("div", { class: "nbl-rank-cards" }, ...cards));
}

function rankingList(d) {
  const rank = ranks(d.groups);
  const rows = d.groups.map((g, n) =>
    h("li", { class: "nbl-rank-group" },
      h("span", { class: "nbl-rank-number", text: `${rank.get(g[0])}.` }),
      ...g.map((x, k) =>
        h("button", { type: "button", class: "nbl-btn nbl-rank-item", "data-response": x, "aria-pressed": d.selected === x ? "true" : "false" },
          k > 0 ? "= " : "", `Response ${x + 1}`)),
      n === 0 ? h("span", { class: "nbl-rank-best", text: "best" }) : null),
  );
  return h("ol", { class: "nbl-ranking", "aria-label": "Ranking, best first" }, ...rows);
}

/** The ranking (tie groups, best first), the move and tie buttons, Submit and the reason. */
function renderRankControls(st, ctx, item, controls) {
  const d = draftFor(st, item, ctx.config().count);
  const parts = [
    rankingList(d),
    h("div", { class: "nbl-actions" },
      h("button", { type: "button", class: "nbl-btn", "data-action": "up" }, "Move up", h("kbd", { text: "↑" })),
      h("button", { type: "button", class: "nbl-btn", "data-action": "down" }, "Move down", h("kbd", { text: "↓" })),
      h("button", { type: "button", class: "nbl-btn", "data-action": "tie" }, "Tie with above", h("kbd", { text: "=" })),
      h("button", { type: "button", class: "nbl-btn nbl-confirm", "data-action": "submit" }, "Submit", h("kbd", { text: "Enter" }))),
  ];
  if (d.reason) parts.push(h("div", { class: "nbl-compare-reason", role: "alert", text: d.reason }));
  controls.replaceChildren(...parts);
}

const OPS = new Map([["up", moveUp], ["down", moveDown], ["tie", toggleTie]]);

function listenToClicks(st, ctx, body, controls) {
  const pick = (event) => {
    const el = event.target.closest("[data-response]");
    const item = ctx.window.item;
    if (el && item) select(st, ctx, item, Number(el.dataset.response));
  };
  return [
    listen(body, "click", (event) => {
      if (!event.target.closest("a")) pick(event);
    }),
    listen(controls, "click", (event) => {
      const button = event.target.closest("button");
      const item = ctx.window.item;
      if (!button || !item) return;
      const action = button.dataset.action;
      if (OPS.has(action)) edit(st, ctx, item, OPS.get(action));
      else if (action === "submit") submit(st, ctx, item);
      else pick(event);
    }),
  ];
}

function onRankKey(st, ctx, event, item) {
  if (!item || event.ctrlKey || event.metaKey || event.altKey) return false;
  const count = ctx.config().count;
  const d = draftFor(st, item, count);
  const digit = /^Digit([1-9])$/.exec(event.code || "");
  if (digit && Number(digit[1]) <= count) {
    select(st, ctx, item, Number(digit[1]) - 1);
    return true;
  }
  if (event.key === "ArrowUp" || event.key === "ArrowDown") {
    if (d.selected === null) return false; // nothing selected: the shell's navigation
    edit(st, ctx, item, event.key === "ArrowUp" ? moveUp : moveDown);
    return true;
  }
  if (event.key === "=") {
    edit(st, ctx, item, toggleTie);
    return true;
  }
  return false;
}

export function createRankTask() {
  const st = { draft: null };
  return {
    title: "Compare (ranking)",
    hotkeys: () => [],
    navKeys: { prev: "k", next: "j" },
    helpRows: HELP,

    setup(ctx, { body, controls }) {
      const offs = listenToClicks(st, ctx, body, controls);
      return () => offs.forEach((off) => off());
    },

    renderItem: (ctx, item, body) => renderCards(st, ctx, item, body),
    renderControls: (ctx, item, controls) => renderRankControls(st, ctx, item, controls),
    onKey: (ctx, event, item) => onRankKey(st, ctx, event, item),

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
