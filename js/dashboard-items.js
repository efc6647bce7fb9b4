// The items behind a heatmap cell: a click asks the kernel for them (one request at a time per
// view; an older answer or another view's is ignored) and lists them with their text (click to
// show all of it) and every rater's value.

import { h, listen } from "./dom.js";
import { choiceName, rowCategories } from "./dashboard-confusion.js";
import { cell } from "./dashboard-tables.js";

function itemRow(item, hasText) {
  return h(
    "tr",
    {},
    cell("td", item.id, { class: "nbl-dash-id" }),
    hasText ? cell("td", item.text ?? "", { class: "nbl-dash-text", tabindex: "0", title: "Click to show all of the text" }) : null,
    ...item.values.map((v) => cell("td", v ?? "—", { class: v === null ? "nbl-dash-none" : "" })),
  );
}

/** The list of `msg.items` (the kernel's answer), and how many more there are. */
function itemList(msg) {
  const head = h("tr", {}, cell("th", "item"), msg.has_text ? cell("th", "text") : null, ...msg.columns.map((name) => cell("th", name)));
  const table = h("table", { class: "nbl-dash-table nbl-dash-items" }, h("thead", {}, head), h("tbody", {}, ...msg.items.map((item) => itemRow(item, msg.has_text))));
  const more = msg.total > msg.items.length ? h("div", { class: "nbl-dash-caption", text: `Showing the first ${msg.items.length} of ${msg.total}.` }) : null;
  return [h("div", { class: "nbl-dash-scroll" }, table), ...(more ? [more] : [])];
}

/**
 * Create the panel over the dashboard's nodes `dom`; `confusion()` is the snapshot's confusion.
 * Returns {open(i, j), show(msg), close(), isOpen(), cleanup()}.
 */
export function createItemsPanel(model, dom, confusion) {
  const { cellBox, cellTitle, cellBody } = dom;
  const client = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  let requests = 0;
  let openRequest = null;

  const toggleText = (text) => text.classList.toggle("nbl-dash-open");
  function close() {
    openRequest = null;
    cellBox.hidden = true;
    cellBody.replaceChildren();
  }
  const offs = [
    listen(dom.closeCell, "click", close),
    listen(cellBody, "click", (event) => {
      const text = event.target.closest(".nbl-dash-text");
      if (text) toggleText(text);
    }),
    listen(cellBody, "keydown", (event) => {
      const text = event.target.closest(".nbl-dash-text");
      if (text && (event.key === "Enter" || event.key === " ")) {
        event.preventDefault();
        toggleText(text);
      }
    }),
  ];

  return {
    /** Ask for the items of cell (i, j) of the confusion on screen. */
    open(i, j) {
      const c = confusion();
      if (!c) return;
      openRequest = `${client}:${++requests}`;
      cellBox.hidden = false;
      cellTitle.textContent = `${rowCategories(c)[i]} × ${c.categories[j]}`;
      cellBody.replaceChildren(h("div", { class: "nbl-message", text: "Loading…" }));
      cellBox.focus({ preventScroll: true });
      model.send({ type: "cell", req: openRequest, rows: c.rows, columns: c.columns, row: i, col: j });
    },
    /** The kernel's answer: list the items (or show its error). */
    show(msg) {
      if (msg.req !== openRequest) return; // another view's request, or an older click
      if (msg.error) {
        cellBody.replaceChildren(h("div", { class: "nbl-banner", text: msg.error }));
        return;
      }
      const c = confusion() || {};
      const rowName = choiceName(c.row_choices, c.rows);
      const colName = choiceName(c.column_choices, c.columns);
      cellTitle.textContent = `${rowName}: ${msg.row} × ${colName}: ${msg.col} — ${msg.total} item${msg.total === 1 ? "" : "s"}`;
      cellBody.replaceChildren(...itemList(msg));
    },
    close,
    isOpen: () => !cellBox.hidden,
    cleanup() {
      offs.forEach((off) => off());
    },
  };
}
