// The dashboard's session and aggregation parts: each annotator's gold accuracy and drift flag
// on a session's task, the caption that says what the agreement leaves out, and a model's labels
// beside the majority vote. Texts are pure functions (tested); user data goes in as text.

import { h } from "./dom.js";
import { formatShare } from "./heatmap.js";

/** An annotator's gold accuracy (first answers): "83% of 12", or "—" with no gold answer. */
export function goldText(a) {
  if (!a.gold_answered) return "—";
  return `${formatShare(a.gold_accuracy)} of ${a.gold_answered.toLocaleString()}`;
}

/** The rolling accuracy of the last gold answers, "· drift" when it is under the threshold. */
export function recentText(a) {
  if (a.rolling_gold_accuracy === null || a.rolling_gold_accuracy === undefined) return "—";
  return `${formatShare(a.rolling_gold_accuracy)}${a.drift ? " · drift" : ""}`;
}

/** What a session's dashboard leaves out and how drift is read ("" for a task that is not a session's). */
export function sessionCaption(session) {
  if (!session) return "";
  const gold = session.gold_items.toLocaleString();
  const events = session.left_out_events.toLocaleString();
  const threshold = formatShare(session.gold_threshold);
  return (
    `Agreement counts production items only: the ${gold} gold and calibration items (${events} events) are left out. ` +
    `Gold: first answers right. Last ${session.drift_window}: the rolling accuracy of the last ${session.drift_window} gold answers; drift when it is under ${threshold}.`
  );
}

/** The table columns a session adds to the annotators table. */
export const GOLD_TITLES = ["gold", "last gold"];

/** The cells a session adds to an annotator's row (`cell` builds one). */
export function goldCells(a, cell) {
  const flagged = a.gold_flagged ? { "data-flagged": "true", title: "under the session's gold threshold" } : {};
  const drift = a.drift ? { "data-drift": "true", title: "the last gold answers are under the threshold" } : {};
  return [
    cell("td", goldText(a), { class: "nbl-dash-num nbl-dash-gold", ...flagged }),
    cell("td", recentText(a), { class: "nbl-dash-num nbl-dash-recent", ...drift }),
  ];
}

/** One line on a model's labels against the majority vote ("" without aggregation). */
export function aggregationCaption(agg) {
  if (!agg) return "";
  const n = (value) => value.toLocaleString();
  const parts = [`${agg.name} and the majority vote differ on ${n(agg.differ)} of ${n(agg.items)} items`];
  if (agg.majority_ties) parts.push(`${n(agg.majority_ties)} majority ties`);
  if (agg.unsure) parts.push(`${n(agg.unsure)} labels ${agg.name} is unsure of (under 80%)`);
  return `${parts.join(" · ")}.`;
}

/** The aggregation box: its caption, the per-label counts and the small-pilot note. */
export function drawAggregation(dom, s) {
  const agg = s.aggregation;
  dom.aggregationBox.hidden = !agg || !!s.empty;
  if (!agg) return;
  dom.aggregationCaption.textContent = aggregationCaption(agg);
  dom.aggregationNote.hidden = !agg.note;
  dom.aggregationNote.textContent = agg.note || "";
  const head = h("tr", {}, h("th", { text: "label" }), h("th", { text: "majority" }), h("th", { text: agg.name }));
  const rows = (agg.per_label || []).map((row) =>
    h(
      "tr",
      { "data-differs": row.majority !== row.model ? "true" : "false" },
      h("td", { class: "nbl-dash-name", text: row.label }),
      h("td", { class: "nbl-dash-num", text: row.majority.toLocaleString() }),
      h("td", { class: "nbl-dash-num", text: row.model.toLocaleString() }),
    ),
  );
  dom.aggregation.replaceChildren(h("thead", {}, head), h("tbody", {}, ...rows));
}
