// Rate: a point on a scale for a text item, or one per criterion. Without criteria a number key
// rates and moves on (the shell's label action); with criteria each criterion is a row of
// points, a number rates the active row, ↑/↓ or Tab move between rows, Enter submits once every
// row is rated. The browser sends the point (a number), or the list of points in the criteria's
// order. The pure parts are in rate-model.js; the task's state `st` holds the draft.

import { h, listen } from "./dom.js";
import { labelHotkeys } from "./keymap.js";
import { mountLabeler } from "./labeler.js";
import { blockReason, moveActive, rate, rateDraftFor, rateHelpRows } from "./rate-model.js";

const criteriaOf = (config) => config.criteria || [];

function drawItem(item, body) {
  const text = item.payload.text;
  body.replaceChildren(
    text === null || text === undefined
      ? h("div", { class: "nbl-text nbl-empty", text: "(empty)" })
      : h("div", { class: "nbl-text", dir: "auto", text }),
  );
}

function pointButton(config, keys, i, { chosen, criterion, active }) {
  const point = config.points[i];
  const name = config.names ? config.names[i] : null;
  return h("button", {
    type: "button",
    class: "nbl-btn nbl-rate-point",
    "data-point": point,
    "data-criterion": criterion,
    "aria-pressed": chosen === point ? "true" : "false",
    "aria-label": name ? `${point} ${name}` : String(point),
    "aria-keyshortcuts": active ? keys[i] || undefined : undefined,
    title: name || undefined,
  },
  h("kbd", { text: keys[i] || String(point) }),
  name ? h("span", { class: "nbl-rate-name", text: name }) : null);
}

function pointRow(config, keys, { chosen, criterion, active, label }) {
  return h("div", {
    class: `nbl-rate-points${active ? " nbl-rate-active" : ""}`,
    role: "group",
    "aria-label": label,
    "aria-current": active ? "true" : undefined,
    "data-criterion": criterion,
  },
  criterion === undefined ? null : h("span", { class: "nbl-rate-criterion", text: label }),
  ...config.points.map((_, i) => pointButton(config, keys, i, { chosen, criterion, active })));
}

function renderRateControls(st, ctx, item, controls) {
  const config = ctx.config();
  const keys = labelHotkeys(config.points.length);
  const criteria = criteriaOf(config);
  if (!criteria.length) {
    const chosen = Number.isInteger(item.value) ? item.value : null;
    controls.replaceChildren(pointRow(config, keys, { chosen, active: true, label: "Rating" }));
    return;
  }
  const d = rateDraftFor(st, item, criteria.length);
  const rows = criteria.map((name, i) =>
    pointRow(config, keys, { chosen: d.ratings[i], criterion: i, active: i === d.active, label: name }));
  const parts = [
    h("div", { class: "nbl-rate-criteria" }, ...rows),
    h("button", { type: "button", class: "nbl-btn nbl-confirm", "data-action": "submit" }, "Submit", h("kbd", { text: "Enter" })),
  ];
  if (d.reason) parts.push(h("div", { class: "nbl-rate-reason", role: "alert", text: d.reason }));
  controls.replaceChildren(...parts);
}

/** Submit the item's ratings, or say which criteria are missing. */
function submit(st, ctx, item) {
  const config = ctx.config();
  const criteria = criteriaOf(config);
  const d = rateDraftFor(st, item, criteria.length);
  const reason = blockReason(d, criteria, config.points);
  if (reason) {
    d.reason = reason;
    ctx.rerender();
    return;
  }
  ctx.label(d.ratings.slice());
}

/** Rate `point` (of criterion `index`, default the active one); without criteria, submit it. */
function choose(st, ctx, item, point, index) {
  if (!item) return;
  const criteria = criteriaOf(ctx.config());
  if (!criteria.length) {
    ctx.label(point);
    return;
  }
  const d = rateDraftFor(st, item, criteria.length);
  rate(d, point, index ?? d.active);
  ctx.rerender();
}

function onRateKey(st, ctx, event, item) {
  const criteria = criteriaOf(ctx.config());
  if (!item || !criteria.length || event.ctrlKey || event.metaKey || event.altKey) return false;
  const d = rateDraftFor(st, item, criteria.length);
  if (event.key === "ArrowUp" || event.key === "ArrowDown") {
    moveActive(d, event.key === "ArrowUp" ? -1 : 1); // never item navigation: ← → do that
    ctx.rerender();
    return true;
  }
  if (event.key === "Tab" && moveActive(d, event.shiftKey ? -1 : 1)) {
    ctx.rerender();
    return true;
  }
  return false; // Tab past the first or last criterion leaves the widget, as Tab does
}

function createRateTask() {
  const st = { draft: null };
  return {
    title: "Rate",
    hotkeys: (config) => labelHotkeys((config.points || []).length),
    helpRows: rateHelpRows,

    setup(ctx, { controls }) {
      const off = listen(controls, "click", (event) => {
        const button = event.target.closest("button");
        const item = ctx.window.item;
        if (!button || !item) return;
        if (button.dataset.point !== undefined) {
          const criterion = button.dataset.criterion;
          choose(st, ctx, item, Number(button.dataset.point), criterion === undefined ? undefined : Number(criterion));
        } else if (button.dataset.action === "submit") submit(st, ctx, item);
        ctx.root.focus({ preventScroll: true }); // the redrawn controls lost the focused button
      });
      return off;
    },

    renderItem: (ctx, item, body) => drawItem(item, body),
    renderControls: (ctx, item, controls) => renderRateControls(st, ctx, item, controls),
    onKey: (ctx, event, item) => onRateKey(st, ctx, event, item),

    onAction(ctx, action, item) {
      if (!item) return false;
      const config = ctx.config();
      if (action.type === "label") {
        const point = config.points[action.index];
        if (point !== undefined) choose(st, ctx, item, point);
        return true;
      }
      if (action.type === "confirm") {
        if (criteriaOf(config).length) submit(st, ctx, item);
        return true;
      }
      return false;
    },
  };
}

export default {
  render({ model, el }) {
    return mountLabeler({ model, el }, createRateTask());
  },
};
