// The dashboard's layout: every node, built once; nothing here listens or draws.

import { h } from "./dom.js";

const NORMALIZE = [
  ["none", "counts"],
  ["row", "share of row"],
  ["column", "share of column"],
  ["all", "share of all"],
];

const box = (title, ...children) => h("section", { class: "nbl-dash-box" }, h("h4", { text: title }), ...children);

function buildHeader() {
  const title = h("div", { class: "nbl-dash-title" });
  const pill = h("span", { class: "nbl-dash-pill", role: "status" });
  const updated = h("span", { class: "nbl-dash-updated" });
  const pause = h("button", { type: "button", class: "nbl-btn nbl-dash-pause" });
  const refresh = h("button", { type: "button", class: "nbl-btn nbl-dash-refresh", text: "Refresh" });
  const header = h("div", { class: "nbl-dash-header" }, title, pill, updated, h("span", { class: "nbl-dash-spacer" }), pause, refresh);
  return { header, title, pill, updated, pause, refresh };
}

function buildConfusion() {
  const rowsSelect = h("select", { class: "nbl-dash-rows", "aria-label": "Rows: annotator" });
  const colsSelect = h("select", { class: "nbl-dash-columns", "aria-label": "Columns: annotator, gold or majority" });
  const normSelect = h("select", { class: "nbl-dash-normalize", "aria-label": "Colour by" });
  for (const [value, name] of NORMALIZE) normSelect.append(h("option", { value, text: name }));
  const pickers = h(
    "div",
    { class: "nbl-dash-pickers" },
    h("label", {}, "rows ", rowsSelect),
    h("label", {}, "columns ", colsSelect),
    h("label", {}, "colour ", normSelect),
  );
  const heatmap = h("div", { class: "nbl-dash-heatmap" });
  const caption = h("div", { class: "nbl-dash-caption" });
  return { rowsSelect, colsSelect, normSelect, heatmap, caption, confusionBox: box("Confusion", pickers, heatmap, caption) };
}

function buildCellPanel() {
  const cellTitle = h("h4", { class: "nbl-dash-cell-title" });
  const closeCell = h("button", { type: "button", class: "nbl-btn nbl-dash-close", "aria-label": "Close the item list", text: "×" });
  const cellBody = h("div", { class: "nbl-dash-cell-body" });
  const cellBox = h("section", { class: "nbl-dash-box nbl-dash-cell", hidden: true, tabindex: "-1", "aria-live": "polite" }, h("div", { class: "nbl-dash-cell-head" }, cellTitle, closeCell), cellBody);
  return { cellTitle, closeCell, cellBody, cellBox };
}

function buildTables() {
  const coefficients = h("table", { class: "nbl-dash-table nbl-dash-coefficients" });
  const annotators = h("table", { class: "nbl-dash-table nbl-dash-annotators" });
  const labels = h("table", { class: "nbl-dash-table nbl-dash-labels" });
  const labelsCaption = h("div", { class: "nbl-dash-caption nbl-dash-labels-caption", hidden: true });
  const sessionCaption = h("div", { class: "nbl-dash-caption nbl-dash-session-caption", hidden: true });
  return {
    coefficients,
    annotators,
    labels,
    labelsCaption,
    sessionCaption,
    coefficientsBox: box("Agreement", coefficients),
    annotatorsBox: h("section", { class: "nbl-dash-box nbl-dash-wide" }, h("h4", { text: "Annotators" }), annotators, sessionCaption),
    labelsBox: box("Labels", labels, labelsCaption),
  };
}

function buildAggregation() {
  const aggregation = h("table", { class: "nbl-dash-table nbl-dash-aggregation" });
  const aggregationCaption = h("div", { class: "nbl-dash-caption nbl-dash-aggregation-caption" });
  const aggregationNote = h("div", { class: "nbl-dash-caption nbl-dash-aggregation-note", hidden: true });
  const aggregationBox = h(
    "section",
    { class: "nbl-dash-box nbl-dash-aggregation-box", hidden: true },
    h("h4", { text: "Aggregated labels" }),
    aggregationCaption,
    aggregation,
    aggregationNote,
  );
  return { aggregation, aggregationCaption, aggregationNote, aggregationBox };
}

function buildSuggestions() {
  const suggestions = h("table", { class: "nbl-dash-table nbl-dash-suggestions" });
  const suggestionsCaption = h("div", { class: "nbl-dash-caption nbl-dash-suggestions-caption" });
  const suggestionsBox = h(
    "section",
    { class: "nbl-dash-box nbl-dash-wide nbl-dash-suggestions-box", hidden: true },
    h("h4", { text: "Suggestions" }),
    suggestions,
    suggestionsCaption,
  );
  return { suggestions, suggestionsCaption, suggestionsBox };
}

/** Build the dashboard's nodes; returns them by name, `root` holding them all. */
export function buildDashboard() {
  const head = buildHeader();
  const confusion = buildConfusion();
  const cell = buildCellPanel();
  const tables = buildTables();
  const aggregated = buildAggregation();
  const suggested = buildSuggestions();
  const banner = h("div", { class: "nbl-banner", role: "alert", hidden: true });
  const totals = h("div", { class: "nbl-dash-totals" });
  const empty = h("div", { class: "nbl-message", hidden: true });
  const root = h(
    "div",
    { class: "nbl-dash", role: "region" },
    head.header,
    banner,
    totals,
    empty,
    h("div", { class: "nbl-dash-grid" }, tables.coefficientsBox, confusion.confusionBox),
    cell.cellBox,
    h("div", { class: "nbl-dash-grid" }, tables.annotatorsBox, tables.labelsBox, aggregated.aggregationBox),
    h("div", { class: "nbl-dash-grid" }, suggested.suggestionsBox),
  );
  return { root, banner, totals, empty, ...head, ...confusion, ...cell, ...tables, ...aggregated, ...suggested };
}
