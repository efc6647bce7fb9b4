// The live agreement dashboard: coefficients, a clickable confusion heatmap, per-annotator and
// per-label tables. The kernel publishes a snapshot (trait `_snapshot`); this module only draws
// it. Every piece of user data (task, annotator, label names, item text) goes in as text.

import { h, listen } from "./dom.js";
import { ago, formatInterval, formatShare, formatValue, inkFor, intensities, shade, shares } from "./heatmap.js";

const NORMALIZE = [
  ["none", "counts"],
  ["row", "share of row"],
  ["column", "share of column"],
  ["all", "share of all"],
];

function cell(tag, text, attrs = {}) {
  return h(tag, { ...attrs, text: text === null || text === undefined ? "" : String(text) });
}

function render({ model, el }) {
  const cleanups = [];
  const client = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  let requests = 0;
  let openRequest = null;
  let normalize = "none";

  const snap = () => model.get("_snapshot") || {};
  const status = () => model.get("_status") || {};

  // ---------------------------------------------------------------- layout
  const title = h("div", { class: "nbl-dash-title" });
  const pill = h("span", { class: "nbl-dash-pill", role: "status" });
  const updated = h("span", { class: "nbl-dash-updated" });
  const pause = h("button", { type: "button", class: "nbl-btn nbl-dash-pause" });
  const refresh = h("button", { type: "button", class: "nbl-btn nbl-dash-refresh", text: "Refresh" });
  const header = h("div", { class: "nbl-dash-header" }, title, pill, updated, h("span", { class: "nbl-dash-spacer" }), pause, refresh);
  const banner = h("div", { class: "nbl-banner", role: "alert", hidden: true });
  const totals = h("div", { class: "nbl-dash-totals" });
  const empty = h("div", { class: "nbl-message", hidden: true });

  const coefficients = h("table", { class: "nbl-dash-table nbl-dash-coefficients" });
  const coefficientsBox = h("section", { class: "nbl-dash-box" }, h("h4", { text: "Agreement" }), coefficients);

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
  const confusionBox = h("section", { class: "nbl-dash-box" }, h("h4", { text: "Confusion" }), pickers, heatmap, caption);

  const cellTitle = h("h4", { class: "nbl-dash-cell-title" });
  const closeCell = h("button", { type: "button", class: "nbl-btn nbl-dash-close", "aria-label": "Close the item list", text: "×" });
  const cellBody = h("div", { class: "nbl-dash-cell-body" });
  const cellBox = h("section", { class: "nbl-dash-box nbl-dash-cell", hidden: true, tabindex: "-1", "aria-live": "polite" }, h("div", { class: "nbl-dash-cell-head" }, cellTitle, closeCell), cellBody);

  const annotators = h("table", { class: "nbl-dash-table nbl-dash-annotators" });
  const labels = h("table", { class: "nbl-dash-table nbl-dash-labels" });
  const annotatorsBox = h("section", { class: "nbl-dash-box nbl-dash-wide" }, h("h4", { text: "Annotators" }), annotators);
  const labelsCaption = h("div", { class: "nbl-dash-caption nbl-dash-labels-caption", hidden: true });
  const labelsBox = h("section", { class: "nbl-dash-box" }, h("h4", { text: "Labels" }), labels, labelsCaption);

  const root = h(
    "div",
    { class: "nbl-dash", role: "region" },
    header,
    banner,
    totals,
    empty,
    h("div", { class: "nbl-dash-grid" }, coefficientsBox, confusionBox),
    cellBox,
    h("div", { class: "nbl-dash-grid" }, annotatorsBox, labelsBox),
  );
  el.replaceChildren(root);

  // ---------------------------------------------------------------- drawing
  function drawStatus() {
    const s = status();
    const paused = model.get("paused");
    const state = paused ? "paused" : s.state || "starting";
    pill.textContent = { live: "live", paused: "paused", error: "error", waiting: "waiting", starting: "starting" }[state] || state;
    pill.dataset.state = state;
    pause.textContent = paused ? "Resume" : "Pause";
    pause.setAttribute("aria-pressed", paused ? "true" : "false");
    banner.hidden = !s.message;
    banner.textContent = s.message || "";
    drawUpdated();
  }

  function drawUpdated() {
    const s = snap();
    const when = ago(s.updated_at);
    updated.textContent = when ? `updated ${when}${s.took_ms !== undefined ? ` · ${Math.round(s.took_ms)} ms` : ""}` : "";
  }

  function drawTotals(s) {
    const parts = [
      [s.ratings, "ratings"],
      [s.items, "items"],
      [s.shared, "with 2+ ratings"],
      [s.annotators ? s.annotators.length : 0, "annotators"],
      [s.disagreements, "disagreements"],
    ];
    totals.replaceChildren(
      ...parts.map(([n, name]) => h("span", { class: "nbl-dash-total" }, h("b", { text: (n ?? 0).toLocaleString() }), ` ${name}`)),
    );
  }

  function drawCoefficients(s) {
    const head = h("tr", {}, cell("th", "coefficient"), cell("th", "value"), cell("th", s.ci_level ? "95% CI" : "CI"), cell("th", "reading"));
    const rows = (s.coefficients || []).map((c) => {
      const meter = h("span", { class: "nbl-dash-meter", "aria-hidden": "true" }, h("span", { class: "nbl-dash-meter-fill" }));
      const v = Number.isFinite(c.value) ? Math.max(0, Math.min(1, c.value)) : 0;
      meter.firstChild.style.width = `${Math.round(v * 100)}%`;
      const tr = h(
        "tr",
        { "data-key": c.key, title: c.note || "" },
        cell("td", c.name),
        h("td", { class: "nbl-dash-num" }, h("span", { class: "nbl-dash-value", text: formatValue(c.value) }), meter),
        cell("td", formatInterval(c.ci) || (s.ci_level ? "—" : "…"), { class: "nbl-dash-num nbl-dash-ci" }),
        cell("td", c.reading, { class: "nbl-dash-reading" }),
      );
      return tr;
    });
    coefficients.replaceChildren(h("thead", {}, head), h("tbody", {}, ...rows));
  }

  function fillSelect(select, choices, value) {
    const keep = choices.map((c) => c.id).join("\n") === Array.from(select.options, (o) => o.value).join("\n");
    if (!keep) select.replaceChildren(...choices.map((c) => h("option", { value: c.id, text: c.name })));
    select.value = value;
  }

  function drawConfusion(s) {
    const c = s.confusion;
    if (!c || !c.categories) {
      heatmap.replaceChildren();
      caption.textContent = "";
      return;
    }
    fillSelect(rowsSelect, c.row_choices, c.rows);
    fillSelect(colsSelect, c.column_choices, c.columns);
    const rowName = c.row_choices.find((x) => x.id === c.rows)?.name ?? "";
    const colName = c.column_choices.find((x) => x.id === c.columns)?.name ?? "";
    const share = shares(c.counts, normalize);
    const level = intensities(c.counts, share);
    const table = h("table", { class: "nbl-dash-confusion" });
    const corner = h("th", { class: "nbl-dash-corner", scope: "col" }, h("span", { text: `${colName} →` }), h("span", { text: `${rowName} ↓` }));
    // the last row and column of a large label set count every category not shown
    const other = (i) => c.left_out > 0 && i === c.categories.length - 1;
    const axisName = (i, attrs) => {
      const th = cell("th", c.categories[i], { ...attrs, title: c.categories[i] });
      if (other(i)) {
        th.classList.add("nbl-dash-other");
        th.style.fontStyle = "italic";
        th.title = `${c.left_out.toLocaleString()} ${c.category_kind} not shown, counted together`;
      }
      return th;
    };
    const head = h("tr", {}, corner);
    c.categories.forEach((_, j) => head.append(axisName(j, { class: "nbl-dash-col", scope: "col" })));
    const body = c.counts.map((row, i) => {
      const tr = h("tr", {}, axisName(i, { class: "nbl-dash-rowname", scope: "row" }));
      row.forEach((n, j) => {
        const colour = shade(level[i][j]);
        const label = `${rowName}: ${c.categories[i]}, ${colName}: ${c.categories[j]} — ${n} item${n === 1 ? "" : "s"}`;
        const button = h(
          "button",
          { type: "button", class: "nbl-dash-cellbtn", "data-row": i, "data-col": j, "aria-label": label, title: label, disabled: n === 0 },
          h("span", { class: "nbl-dash-count", text: String(n) }),
          share && n ? h("span", { class: "nbl-dash-share", text: formatShare(share[i][j]) }) : null,
        );
        button.style.background = colour;
        button.style.color = n ? inkFor(colour) : "var(--nbl-fg-muted)";
        if (i === j) button.classList.add("nbl-dash-diagonal");
        tr.append(h("td", {}, button));
      });
      return tr;
    });
    table.append(h("thead", {}, head), h("tbody", {}, ...body));
    heatmap.replaceChildren(table);
    const pct = c.total ? ` · ${Math.round((100 * c.agree) / c.total)}% ${c.left_out ? "agree" : "on the diagonal"}` : "";
    const shown = c.left_out
      ? ` Shown: the ${c.categories.length - 1} most frequent of the ${c.occurring.toLocaleString()} ${c.category_kind} given; the other ${c.left_out.toLocaleString()} are counted together in the last row and column.`
      : "";
    caption.textContent =
      c.unit === "spans"
        ? `${c.total.toLocaleString()} spans, matched by overlap (“(none)”: no counterpart)${pct}. Click a cell to list its items.`
        : `${c.total.toLocaleString()} items rated by both${pct}.${shown} Click a cell to list its items.`;
  }

  function drawAnnotators(s) {
    const ref = s.reference === "gold" ? "gold" : "majority";
    const multi = s.multi;
    const head = h(
      "tr",
      {},
      ...["annotator", "items", "skipped", "flagged", `${s.agreement_name || (multi ? "Jaccard" : "κ")} vs ${ref}`, `accuracy vs ${ref}`, "items/h", "median s/item"].map((t) => cell("th", t)),
    );
    const rows = (s.per_annotator || []).map((a) =>
      h(
        "tr",
        {},
        cell("td", a.annotator, { class: "nbl-dash-name" }),
        cell("td", a.items.toLocaleString(), { class: "nbl-dash-num" }),
        cell("td", a.skipped, { class: "nbl-dash-num" }),
        cell("td", a.flagged, { class: "nbl-dash-num" }),
        cell("td", formatValue(a.agreement), { class: "nbl-dash-num" }),
        cell("td", formatShare(a.accuracy) || "—", { class: "nbl-dash-num" }),
        cell("td", Number.isFinite(a.items_per_hour) ? Math.round(a.items_per_hour).toLocaleString() : "—", { class: "nbl-dash-num" }),
        cell("td", Number.isFinite(a.median_active_ms) ? (a.median_active_ms / 1000).toFixed(1) : "—", { class: "nbl-dash-num" }),
      ),
    );
    annotators.replaceChildren(h("thead", {}, head), h("tbody", {}, ...rows));
  }

  // [key, title, format]: "int" counts, "share" percentages, "value" coefficients
  const LABEL_COLUMNS = [
    ["count", "count", "int"],
    ["agreement", "agreement", "share"],
    ["kappa", "κ", "value"],
    ["alpha", "α", "value"],
  ];
  const formats = {
    int: (v) => (Number.isFinite(v) ? v.toLocaleString() : "—"),
    share: (v) => formatShare(v) || "—",
    value: (v) => formatValue(v),
  };

  function drawLabels(s) {
    const columns = s.label_columns || LABEL_COLUMNS;
    const head = h("tr", {}, cell("th", "label"), ...columns.map(([, title]) => cell("th", title)));
    const rows = (s.per_label || []).map((l) =>
      h(
        "tr",
        {},
        cell("td", l.label, { class: "nbl-dash-name" }),
        ...columns.map(([key, , format]) => cell("td", formats[format](l[key]), { class: "nbl-dash-num" })),
      ),
    );
    labels.replaceChildren(h("thead", {}, head), h("tbody", {}, ...rows));
    // a large label set: only the labels in use are listed, at most the most used ones
    const listed = rows.length;
    const total = s.label_count ?? listed;
    const inUse = s.labels_in_use ?? listed;
    labelsCaption.hidden = total <= listed;
    labelsCaption.textContent =
      total <= listed
        ? ""
        : listed < inUse
          ? `The ${listed.toLocaleString()} most used of the ${inUse.toLocaleString()} labels in use (${total.toLocaleString()} labels in the task).`
          : `The ${inUse.toLocaleString()} labels in use (${total.toLocaleString()} labels in the task).`;
  }

  function draw() {
    const s = snap();
    title.replaceChildren("Agreement · ", h("span", { class: "nbl-dash-task", text: s.task ?? "" }));
    root.setAttribute("aria-label", `Agreement dashboard — task ${s.task ?? ""}`);
    root.dataset.events = String(s.events ?? 0);
    const isEmpty = !!s.empty;
    empty.hidden = !isEmpty;
    empty.textContent = isEmpty ? "No labels yet: this dashboard fills in as annotators label." : "";
    for (const box of [coefficientsBox, confusionBox, annotatorsBox, labelsBox, totals]) box.hidden = isEmpty;
    if (!isEmpty) {
      drawTotals(s);
      drawCoefficients(s);
      drawConfusion(s);
      drawAnnotators(s);
      drawLabels(s);
    }
    drawStatus();
  }

  // ---------------------------------------------------------------- the items behind a cell
  function openCell(i, j) {
    const c = snap().confusion;
    if (!c) return;
    openRequest = `${client}:${++requests}`;
    cellBox.hidden = false;
    cellTitle.textContent = `${c.categories[i]} × ${c.categories[j]}`;
    cellBody.replaceChildren(h("div", { class: "nbl-message", text: "Loading…" }));
    cellBox.focus({ preventScroll: true });
    model.send({ type: "cell", req: openRequest, rows: c.rows, columns: c.columns, row: i, col: j });
  }

  function showCell(msg) {
    if (msg.req !== openRequest) return; // another view's request, or an older click
    if (msg.error) {
      cellBody.replaceChildren(h("div", { class: "nbl-banner", text: msg.error }));
      return;
    }
    const c = snap().confusion || {};
    const rowName = c.row_choices?.find((x) => x.id === c.rows)?.name ?? "";
    const colName = c.column_choices?.find((x) => x.id === c.columns)?.name ?? "";
    cellTitle.textContent = `${rowName}: ${msg.row} × ${colName}: ${msg.col} — ${msg.total} item${msg.total === 1 ? "" : "s"}`;
    const head = h("tr", {}, cell("th", "item"), msg.has_text ? cell("th", "text") : null, ...msg.columns.map((name) => cell("th", name)));
    const rows = msg.items.map((item) =>
      h(
        "tr",
        {},
        cell("td", item.id, { class: "nbl-dash-id" }),
        msg.has_text ? cell("td", item.text ?? "", { class: "nbl-dash-text", tabindex: "0", title: "Click to show all of the text" }) : null,
        ...item.values.map((v) => cell("td", v ?? "—", { class: v === null ? "nbl-dash-none" : "" })),
      ),
    );
    const more = msg.total > msg.items.length ? h("div", { class: "nbl-dash-caption", text: `Showing the first ${msg.items.length} of ${msg.total}.` }) : null;
    const table = h("table", { class: "nbl-dash-table nbl-dash-items" }, h("thead", {}, head), h("tbody", {}, ...rows));
    cellBody.replaceChildren(h("div", { class: "nbl-dash-scroll" }, table), ...(more ? [more] : []));
  }

  function closeItems() {
    openRequest = null;
    cellBox.hidden = true;
    cellBody.replaceChildren();
  }

  // ---------------------------------------------------------------- events
  cleanups.push(
    listen(heatmap, "click", (event) => {
      const button = event.target.closest(".nbl-dash-cellbtn");
      if (button && !button.disabled) openCell(Number(button.dataset.row), Number(button.dataset.col));
    }),
    listen(cellBody, "click", (event) => {
      const text = event.target.closest(".nbl-dash-text");
      if (text) text.classList.toggle("nbl-dash-open");
    }),
    listen(cellBody, "keydown", (event) => {
      const text = event.target.closest(".nbl-dash-text");
      if (text && (event.key === "Enter" || event.key === " ")) {
        event.preventDefault();
        text.classList.toggle("nbl-dash-open");
      }
    }),
    listen(closeCell, "click", closeItems),
    listen(root, "keydown", (event) => {
      if (event.key === "Escape" && !cellBox.hidden) {
        event.stopPropagation();
        closeItems();
        heatmap.querySelector(".nbl-dash-cellbtn:not(:disabled)")?.focus({ preventScroll: true });
      }
    }),
    listen(pause, "click", () => {
      model.set("paused", !model.get("paused"));
      model.save_changes();
    }),
    listen(refresh, "click", () => model.send({ type: "refresh" })),
    listen(normSelect, "change", () => {
      normalize = normSelect.value;
      drawConfusion(snap());
    }),
    listen(rowsSelect, "change", () => {
      closeItems();
      model.set("_pair", [rowsSelect.value, colsSelect.value]);
      model.save_changes();
    }),
    listen(colsSelect, "change", () => {
      closeItems();
      model.set("_pair", [rowsSelect.value, colsSelect.value]);
      model.save_changes();
    }),
  );

  const onMessage = (msg) => {
    if (msg && msg.type === "cell") showCell(msg);
  };
  model.on("msg:custom", onMessage);
  model.on("change:_snapshot", draw);
  model.on("change:_status", drawStatus);
  model.on("change:paused", drawStatus);
  cleanups.push(() => {
    model.off("msg:custom", onMessage);
    model.off("change:_snapshot", draw);
    model.off("change:_status", drawStatus);
    model.off("change:paused", drawStatus);
  });
  const ticker = setInterval(drawUpdated, 1000);
  cleanups.push(() => clearInterval(ticker));

  draw();
  return () => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  };
}

export default { render };
