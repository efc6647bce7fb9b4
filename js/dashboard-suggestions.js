// The dashboard's "Suggestions" box: what people did with model suggestions (the kernel's
// suggestion report as text cells, one row per annotator and one for all), shown only when some
// label recorded a suggestion. User data (annotator names) goes in as text.

import { h } from "./dom.js";

/** The table's header and body rows ([] without suggestions); pure. */
export function suggestionRows(sugg) {
  if (!sugg || !Array.isArray(sugg.rows) || !sugg.rows.length) return { head: [], body: [] };
  return { head: ["annotator", ...sugg.columns], body: sugg.rows.map((row) => row.map((cell) => String(cell ?? "–"))) };
}

/** Fill the box from the snapshot's `suggestions` (hidden when there are none). */
export function drawSuggestions(dom, s) {
  const sugg = s.suggestions;
  const { head, body } = suggestionRows(sugg);
  dom.suggestionsBox.hidden = !body.length || !!s.empty;
  if (!body.length) {
    dom.suggestions.replaceChildren();
    dom.suggestionsCaption.textContent = "";
    return;
  }
  const thead = h("thead", {}, h("tr", {}, ...head.map((name) => h("th", { text: name }))));
  const rows = body.map((cells, i) =>
    h(
      "tr",
      { "data-all": i === body.length - 1 ? "true" : "false" },
      ...cells.map((cell, j) => h("td", { class: j ? "nbl-dash-num" : "nbl-dash-name", text: cell })),
    ),
  );
  dom.suggestions.replaceChildren(thead, h("tbody", {}, ...rows));
  dom.suggestionsCaption.textContent = sugg.caption || "";
}
