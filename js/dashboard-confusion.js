// The dashboard's confusion heatmap: the row and column pickers, a button per cell (shaded by
// count or share, clickable to list its items) and the caption. Category names go in as text.

import { h } from "./dom.js";
import { formatShare, inkFor, intensities, shade, shares } from "./heatmap.js";
import { cell } from "./dashboard-tables.js";

/** The name of the choice `id` among `choices` ({id, name}), or "". */
export const choiceName = (choices, id) => choices?.find((x) => x.id === id)?.name ?? "";

function fillSelect(select, choices, value) {
  const keep = choices.map((c) => c.id).join("\n") === Array.from(select.options, (o) => o.value).join("\n");
  if (!keep) select.replaceChildren(...choices.map((c) => h("option", { value: c.id, text: c.name })));
  select.value = value;
}

/**
 * The caption under the heatmap of confusion `c`: how many items (or matched spans), the share
 * that agree, and, for a large label set, which categories are shown (the last row and column
 * count the `left_out` others together).
 */
export function confusionCaption(c) {
  const pct = c.total ? ` · ${Math.round((100 * c.agree) / c.total)}% ${c.left_out ? "agree" : "on the diagonal"}` : "";
  const shown = c.left_out
    ? ` Shown: the ${c.categories.length - 1} most frequent of the ${c.occurring.toLocaleString()} ${c.category_kind} given; the other ${c.left_out.toLocaleString()} are counted together in the last row and column.`
    : "";
  if (c.unit === "texts") {
    const same = c.total ? ` · ${Math.round((100 * c.agree) / c.total)}% identical` : "";
    return `${c.total.toLocaleString()} items written by both, by how alike their texts are (normalised edit distance)${same}. Click a band to list its items.`;
  }
  return c.unit === "spans"
    ? `${c.total.toLocaleString()} spans, matched by overlap (“(none)”: no counterpart)${pct}. Click a cell to list its items.`
    : `${c.total.toLocaleString()} items rated by both${pct}.${shown} Click a cell to list its items.`;
}

/** The row categories of confusion `c`: its categories, unless the view gives rows their own
 * (texts: one row against similarity bands). */
export const rowCategories = (c) => c.row_categories ?? c.categories;

/** The header cell of category `i` (a row or a column); the last one of a large label set
 * stands for every category not shown. */
function axisName(c, i, attrs, names = c.categories) {
  const th = cell("th", names[i], { ...attrs, title: names[i] });
  if (c.left_out > 0 && i === c.categories.length - 1) {
    th.classList.add("nbl-dash-other");
    th.style.fontStyle = "italic";
    th.title = `${c.left_out.toLocaleString()} ${c.category_kind} not shown, counted together`;
  }
  return th;
}

function cellButton(c, i, j, { share, level, rowName, colName }) {
  const n = c.counts[i][j];
  const colour = shade(level[i][j]);
  const label = `${rowName}: ${rowCategories(c)[i]}, ${colName}: ${c.categories[j]} — ${n} item${n === 1 ? "" : "s"}`;
  const button = h(
    "button",
    { type: "button", class: "nbl-dash-cellbtn", "data-row": i, "data-col": j, "aria-label": label, title: label, disabled: n === 0 },
    h("span", { class: "nbl-dash-count", text: String(n) }),
    share && n ? h("span", { class: "nbl-dash-share", text: formatShare(share[i][j]) }) : null,
  );
  button.style.background = colour;
  button.style.color = n ? inkFor(colour) : "var(--nbl-fg-muted)";
  if (i === j && !c.row_categories) button.classList.add("nbl-dash-diagonal");
  return button;
}

/** The heatmap table of confusion `c`, coloured by `normalize` ("none", "row", "column", "all"). */
function heatmapTable(c, normalize) {
  const rowName = choiceName(c.row_choices, c.rows);
  const colName = choiceName(c.column_choices, c.columns);
  const share = shares(c.counts, normalize);
  const shading = { share, level: intensities(c.counts, share), rowName, colName };
  const corner = h("th", { class: "nbl-dash-corner", scope: "col" }, h("span", { text: `${colName} →` }), h("span", { text: `${rowName} ↓` }));
  const head = h("tr", {}, corner, ...c.categories.map((_, j) => axisName(c, j, { class: "nbl-dash-col", scope: "col" })));
  const body = c.counts.map((row, i) =>
    h("tr", {}, axisName(c, i, { class: "nbl-dash-rowname", scope: "row" }, rowCategories(c)), ...row.map((_, j) => h("td", {}, cellButton(c, i, j, shading)))),
  );
  return h("table", { class: "nbl-dash-confusion" }, h("thead", {}, head), h("tbody", {}, ...body));
}

/** Draw the confusion of snapshot `s` into the dashboard's nodes `dom`. */
export function drawConfusion(dom, s, normalize) {
  const c = s.confusion;
  if (!c || !c.categories) {
    dom.heatmap.replaceChildren();
    dom.caption.textContent = "";
    return;
  }
  fillSelect(dom.rowsSelect, c.row_choices, c.rows);
  fillSelect(dom.colsSelect, c.column_choices, c.columns);
  dom.heatmap.replaceChildren(heatmapTable(c, normalize));
  dom.caption.textContent = confusionCaption(c);
}
