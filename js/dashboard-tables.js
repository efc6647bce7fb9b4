// The dashboard's tables from a snapshot `s`: the totals line, the agreement coefficients, the
// per-annotator and the per-label tables. Every piece of user data goes in as text.

import { GOLD_TITLES, goldCells } from "./dashboard-quality.js";
import { h } from "./dom.js";
import { formatInterval, formatShare, formatValue } from "./heatmap.js";

/** A table cell (`tag` th or td) holding `text` (null and undefined: empty). */
export function cell(tag, text, attrs = {}) {
  return h(tag, { ...attrs, text: text === null || text === undefined ? "" : String(text) });
}

const table = (node, head, rows) => node.replaceChildren(h("thead", {}, head), h("tbody", {}, ...rows));

export function drawTotals(node, s) {
  const parts = [
    [s.ratings, "ratings"],
    [s.items, "items"],
    [s.shared, "with 2+ ratings"],
    [s.annotators ? s.annotators.length : 0, "annotators"],
    [s.disagreements, "disagreements"],
  ];
  node.replaceChildren(
    ...parts.map(([n, name]) => h("span", { class: "nbl-dash-total" }, h("b", { text: (n ?? 0).toLocaleString() }), ` ${name}`)),
  );
}

function coefficientRow(c, s) {
  const meter = h("span", { class: "nbl-dash-meter", "aria-hidden": "true" }, h("span", { class: "nbl-dash-meter-fill" }));
  const v = Number.isFinite(c.value) ? Math.max(0, Math.min(1, c.value)) : 0;
  meter.firstChild.style.width = `${Math.round(v * 100)}%`;
  return h(
    "tr",
    { "data-key": c.key, title: c.note || "" },
    cell("td", c.name),
    h("td", { class: "nbl-dash-num" }, h("span", { class: "nbl-dash-value", text: formatValue(c.value) }), meter),
    cell("td", formatInterval(c.ci) || (s.ci_level ? "—" : "…"), { class: "nbl-dash-num nbl-dash-ci" }),
    cell("td", c.reading, { class: "nbl-dash-reading" }),
  );
}

export function drawCoefficients(node, s) {
  const head = h("tr", {}, cell("th", "coefficient"), cell("th", "value"), cell("th", s.ci_level ? "95% CI" : "CI"), cell("th", "reading"));
  table(node, head, (s.coefficients || []).map((c) => coefficientRow(c, s)));
}

function annotatorRow(a, session) {
  const num = (text) => cell("td", text, { class: "nbl-dash-num" });
  return h(
    "tr",
    { "data-annotator": a.annotator },
    cell("td", a.annotator, { class: "nbl-dash-name" }),
    num(a.items.toLocaleString()),
    num(a.skipped),
    num(a.flagged),
    num(formatValue(a.agreement)),
    num(formatShare(a.accuracy) || "—"),
    num(Number.isFinite(a.items_per_hour) ? Math.round(a.items_per_hour).toLocaleString() : "—"),
    num(Number.isFinite(a.median_active_ms) ? (a.median_active_ms / 1000).toFixed(1) : "—"),
    ...(session ? goldCells(a, cell) : []),
  );
}

export function drawAnnotators(node, s) {
  const ref = s.reference === "gold" ? "gold" : s.reference === "others" ? "the others" : "majority";
  const agreement = `${s.agreement_name || (s.multi ? "Jaccard" : "κ")} vs ${ref}`;
  const titles = ["annotator", "items", "skipped", "flagged", agreement, `accuracy vs ${ref}`, "items/h", "median s/item"];
  if (s.session) titles.push(GOLD_TITLES[0], `last ${s.session.drift_window} gold`);
  const rows = (s.per_annotator || []).map((a) => annotatorRow(a, s.session));
  table(node, h("tr", {}, ...titles.map((t) => cell("th", t))), rows);
}

// [key, title, format]: "int" counts, "share" percentages, "value" coefficients
const LABEL_COLUMNS = [
  ["count", "count", "int"],
  ["agreement", "agreement", "share"],
  ["kappa", "κ", "value"],
  ["alpha", "α", "value"],
];
const FORMATS = {
  int: (v) => (Number.isFinite(v) ? v.toLocaleString() : "—"),
  share: (v) => formatShare(v) || "—",
  value: (v) => formatValue(v),
};

/**
 * The caption under the labels table of a large label set, where only the labels in use are
 * listed, at most the most used ones: `listed` rows, `inUse` labels in use, `total` labels in
 * the task. "" when every label is listed.
 */
export function labelsCaption(listed, inUse, total) {
  if (total <= listed) return "";
  return listed < inUse
    ? `The ${listed.toLocaleString()} most used of the ${inUse.toLocaleString()} labels in use (${total.toLocaleString()} labels in the task).`
    : `The ${inUse.toLocaleString()} labels in use (${total.toLocaleString()} labels in the task).`;
}

export function drawLabels(node, captionNode, s) {
  const columns = s.label_columns || LABEL_COLUMNS;
  const head = h("tr", {}, cell("th", "label"), ...columns.map(([, title]) => cell("th", title)));
  const rows = (s.per_label || []).map((l) =>
    h("tr", {}, cell("td", l.label, { class: "nbl-dash-name" }), ...columns.map(([key, , format]) => cell("td", FORMATS[format](l[key]), { class: "nbl-dash-num" }))),
  );
  table(node, head, rows);
  const listed = rows.length;
  const text = labelsCaption(listed, s.labels_in_use ?? listed, s.label_count ?? listed);
  captionNode.hidden = !text;
  captionNode.textContent = text;
}
