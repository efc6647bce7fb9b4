// The live agreement dashboard: coefficients, a clickable confusion heatmap, per-annotator and
// per-label tables. The kernel publishes a snapshot (trait `_snapshot`); this module only draws
// it. Every piece of user data (task, annotator, label names, item text) goes in as text.
// The parts: dashboard-layout.js (the nodes), dashboard-tables.js (totals, coefficients,
// annotators, labels), dashboard-confusion.js (the heatmap) and dashboard-items.js (the items
// behind a cell). They share the view `v`: {model, dom, snap(), normalize, items}.

import { h, listen } from "./dom.js";
import { drawConfusion } from "./dashboard-confusion.js";
import { createItemsPanel } from "./dashboard-items.js";
import { buildDashboard } from "./dashboard-layout.js";
import { drawAggregation, sessionCaption } from "./dashboard-quality.js";
import { drawSuggestions } from "./dashboard-suggestions.js";
import { drawAnnotators, drawCoefficients, drawLabels, drawTotals } from "./dashboard-tables.js";
import { ago } from "./heatmap.js";

const STATES = { live: "live", paused: "paused", error: "error", waiting: "waiting", starting: "starting" };

function drawUpdated({ dom, snap }) {
  const s = snap();
  const when = ago(s.updated_at);
  dom.updated.textContent = when ? `updated ${when}${s.took_ms !== undefined ? ` · ${Math.round(s.took_ms)} ms` : ""}` : "";
}

/** The state pill, the pause button and the banner (from `_status` and `paused`). */
function drawStatus(v) {
  const { model, dom } = v;
  const s = model.get("_status") || {};
  const paused = model.get("paused");
  const state = paused ? "paused" : s.state || "starting";
  dom.pill.textContent = STATES[state] || state;
  dom.pill.dataset.state = state;
  dom.pause.textContent = paused ? "Resume" : "Pause";
  dom.pause.setAttribute("aria-pressed", paused ? "true" : "false");
  dom.banner.hidden = !s.message;
  dom.banner.textContent = s.message || "";
  drawUpdated(v);
}

/** Everything from the snapshot (an empty one shows a message instead of the tables). */
function draw(v) {
  const { dom } = v;
  const s = v.snap();
  dom.title.replaceChildren("Agreement · ", h("span", { class: "nbl-dash-task", text: s.task ?? "" }));
  dom.root.setAttribute("aria-label", `Agreement dashboard — task ${s.task ?? ""}`);
  dom.root.dataset.events = String(s.events ?? 0);
  const isEmpty = !!s.empty;
  dom.empty.hidden = !isEmpty;
  dom.empty.textContent = isEmpty ? "No labels yet: this dashboard fills in as annotators label." : "";
  for (const box of [dom.coefficientsBox, dom.confusionBox, dom.labelsBox, dom.totals]) box.hidden = isEmpty;
  // a view without a labels table (texts): `label_columns` empty
  if (Array.isArray(s.label_columns) && !s.label_columns.length) dom.labelsBox.hidden = true;
  // a session's annotators still in calibration have gold answers before any production label
  const annotators = !isEmpty || (s.per_annotator || []).length > 0;
  dom.annotatorsBox.hidden = !annotators;
  if (annotators) drawAnnotators(dom.annotators, s);
  dom.annotatorsBox.dataset.session = s.session ? "true" : "false"; // a whole row: the gold columns need it
  const caption = sessionCaption(s.session);
  dom.sessionCaption.hidden = !caption;
  dom.sessionCaption.textContent = caption;
  if (!isEmpty) {
    drawTotals(dom.totals, s);
    drawCoefficients(dom.coefficients, s);
    drawConfusion(dom, s, v.normalize);
    drawLabels(dom.labels, dom.labelsCaption, s);
  }
  drawAggregation(dom, s);
  drawSuggestions(dom, s);
  drawStatus(v);
}

/** The heatmap's cells and pickers, Esc, pause and refresh; returns the cleanups. */
function listenToControls(v) {
  const { model, dom, items } = v;
  const choosePair = () => {
    items.close();
    model.set("_pair", [dom.rowsSelect.value, dom.colsSelect.value]);
    model.save_changes();
  };
  return [
    listen(dom.heatmap, "click", (event) => {
      const button = event.target.closest(".nbl-dash-cellbtn");
      if (button && !button.disabled) items.open(Number(button.dataset.row), Number(button.dataset.col));
    }),
    listen(dom.root, "keydown", (event) => {
      if (event.key === "Escape" && items.isOpen()) {
        event.stopPropagation();
        items.close();
        dom.heatmap.querySelector(".nbl-dash-cellbtn:not(:disabled)")?.focus({ preventScroll: true });
      }
    }),
    listen(dom.pause, "click", () => {
      model.set("paused", !model.get("paused"));
      model.save_changes();
    }),
    listen(dom.refresh, "click", () => model.send({ type: "refresh" })),
    listen(dom.normSelect, "change", () => {
      v.normalize = dom.normSelect.value;
      drawConfusion(dom, v.snap(), v.normalize);
    }),
    listen(dom.rowsSelect, "change", choosePair),
    listen(dom.colsSelect, "change", choosePair),
  ];
}

/** The kernel's answers and trait changes, and the "updated … ago" ticker; returns the cleanups. */
function listenToKernel(v) {
  const { model } = v;
  const handlers = {
    "msg:custom": (msg) => {
      if (msg && msg.type === "cell") v.items.show(msg);
    },
    "change:_snapshot": () => draw(v),
    "change:_status": () => drawStatus(v),
    "change:paused": () => drawStatus(v),
  };
  const offs = Object.entries(handlers).map(([name, handler]) => {
    model.on(name, handler);
    return () => model.off(name, handler);
  });
  const ticker = setInterval(() => drawUpdated(v), 1000);
  return [...offs, () => clearInterval(ticker)];
}

function render({ model, el }) {
  const dom = buildDashboard();
  el.replaceChildren(dom.root);
  const v = { model, dom, normalize: "none", snap: () => model.get("_snapshot") || {} };
  v.items = createItemsPanel(model, dom, () => v.snap().confusion);
  const cleanups = [() => v.items.cleanup(), ...listenToControls(v), ...listenToKernel(v)];
  draw(v);
  return () => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  };
}

export default { render };
