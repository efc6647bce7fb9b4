// The type-ahead label picker: an ARIA combobox (a text box) with a listbox of the best
// matches. Keyboard first: `/` opens it (the task's job), typing filters, ↑ ↓ move, Enter picks,
// Esc leaves. Only the top matches are drawn, however many labels there are.

import { h, listen } from "./dom.js";
import { SHOWN, createLabelSearch, highlight } from "./label-search.js";

let pickers = 0;

/** The picker's nodes: the text box (combobox), the list of matches and the status line. */
function buildNodes(id, labels, multi) {
  const count = labels.length.toLocaleString("en-US");
  const input = h("input", {
    type: "text",
    class: "nbl-search-input",
    role: "combobox",
    "aria-autocomplete": "list",
    "aria-expanded": "false",
    "aria-controls": `${id}-list`,
    "aria-label": `Search ${count} labels`,
    "aria-keyshortcuts": "/",
    placeholder: `Search ${count} labels`,
    autocomplete: "off",
    spellcheck: "false",
  });
  const list = h("ul", {
    class: "nbl-search-list",
    id: `${id}-list`,
    role: "listbox",
    "aria-label": "Matching labels",
    "aria-multiselectable": multi ? "true" : undefined,
    hidden: true,
  });
  const status = h("div", { class: "nbl-search-status", role: "status", "aria-live": "polite" });
  const node = h(
    "div",
    { class: "nbl-search" },
    h("div", { class: "nbl-search-box" }, input, h("kbd", { class: "nbl-search-key", text: "/" })),
    list,
    status,
  );
  return { input, list, status, node };
}

/** What the status line says about `query` and its `result` among `count` labels. */
export function statusText(query, result, count) {
  if (!query.trim()) return `${count.toLocaleString("en-US")} labels: type to search`;
  if (!result.total) return `No label matches “${query.trim()}”`;
  const shown = result.indices.length;
  return shown < result.total
    ? `${shown} of ${result.total.toLocaleString("en-US")} matching labels shown`
    : `${result.total} matching label${result.total === 1 ? "" : "s"}`;
}

/** The option of label `index`, `k`-th in the list, its matching letters marked. */
function optionNode(id, k, index, { labels, hotkeys, query, active, chosen, multi }) {
  const selected = multi ? chosen : k === active;
  const parts = highlight(labels[index], query).map((part) => (part.match ? h("mark", { text: part.text }) : part.text));
  return h(
    "li",
    {
      id: `${id}-${k}`,
      class: `nbl-search-option${k === active ? " nbl-active" : ""}${chosen ? " nbl-chosen" : ""}`,
      role: "option",
      "data-index": index,
      "aria-selected": selected ? "true" : "false",
      "aria-label": labels[index],
    },
    h("span", { class: "nbl-search-check", "aria-hidden": "true", text: chosen ? "✓" : "" }),
    h("span", { class: "nbl-label-text" }, ...parts),
    hotkeys[index] ? h("kbd", { "aria-hidden": "true", text: hotkeys[index] }) : null,
  );
}

/**
 * Create a picker. `options`:
 *   labels: string[]                the label set (searched as given; indices are picked)
 *   hotkeys: (string|null)[]        the key of each label, shown beside a match
 *   multi: boolean                  a pick toggles a label (options show what is chosen)
 *   isChosen(index): boolean        whether label `index` is chosen on the current item
 *   onPick(index)                   a label was picked
 *   onEnterEmpty()                  Enter with nothing typed (confirm, or accept a suggestion)
 *   onLeave()                       the picker gave focus back (Esc, or after a pick)
 * Returns {node, open(), refresh(), contains(node), cleanup()}.
 */
export function createLabelPicker({ labels, hotkeys, multi, isChosen, onPick, onEnterEmpty, onLeave }) {
  pickers += 1;
  const id = `nbl-picker-${pickers}-${Math.random().toString(36).slice(2, 8)}`;
  const searcher = createLabelSearch(labels);
  const cleanups = [];
  let query = "";
  let result = null;
  let active = -1; // position in result.indices, -1 = none (Enter then confirms)
  let expanded = false;
  let prepareTimer = null;
  const { input, list, status, node } = buildNodes(id, labels, multi);

  function run() {
    result = searcher.search(query, SHOWN);
    active = query.trim() && result.indices.length ? 0 : -1;
  }

  function draw() {
    input.setAttribute("aria-expanded", expanded ? "true" : "false");
    list.hidden = !expanded;
    if (!expanded || !result) {
      input.removeAttribute("aria-activedescendant");
      list.replaceChildren();
      status.textContent = "";
      return;
    }
    list.replaceChildren(
      ...result.indices.map((index, k) => optionNode(id, k, index, { labels, hotkeys, query, active, chosen: isChosen(index), multi })),
    );
    if (active >= 0) {
      input.setAttribute("aria-activedescendant", `${id}-${active}`);
      const option = list.children[active];
      if (option && option.scrollIntoView) option.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
    status.textContent = statusText(query, result, labels.length);
  }

  function leave() {
    query = "";
    input.value = "";
    result = null;
    active = -1;
    expanded = false;
    draw();
    onLeave();
  }

  function pick(k) {
    const index = result && result.indices[k];
    if (index === undefined) return;
    active = k;
    if (multi) {
      onPick(index); // the draft changed: the task redraws, refresh() marks the option
    } else {
      leave();
      onPick(index);
    }
  }

  function onKeyDown(event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    const count = result ? result.indices.length : 0;
    switch (event.key) {
      case "ArrowDown":
        if (count) active = Math.min(active + 1, count - 1);
        break;
      case "ArrowUp":
        if (count) active = Math.max(active - 1, 0);
        break;
      case "Enter":
        if (active >= 0) pick(active);
        else if (!query.trim()) {
          leave();
          onEnterEmpty();
        }
        event.preventDefault();
        return;
      case "Escape":
        event.preventDefault();
        leave();
        return;
      default:
        return;
    }
    event.preventDefault();
    draw();
  }

  cleanups.push(
    listen(input, "input", () => {
      query = input.value;
      run();
      draw();
    }),
    listen(input, "keydown", onKeyDown),
    listen(input, "focus", () => {
      expanded = true;
      if (!result) run();
      draw();
      // Fold the labels (about 0.1 s for 100,000) between the `/` and the first key typed.
      if (prepareTimer === null) prepareTimer = setTimeout(() => searcher.prepare(), 0);
    }),
    listen(input, "blur", () => {
      expanded = false;
      draw();
    }),
    // Keep the focus in the text box while an option is clicked.
    listen(list, "mousedown", (event) => event.preventDefault()),
    listen(list, "click", (event) => {
      const option = event.target.closest("li[role=option]");
      if (option) pick(Array.prototype.indexOf.call(list.children, option));
    }),
  );

  return {
    node,
    /** Focus the text box (the `/` key). */
    open() {
      input.focus({ preventScroll: false });
      input.select();
    },
    /** Redraw the options (what is chosen may have changed). */
    refresh() {
      if (expanded) draw();
    },
    contains: (target) => node.contains(target),
    cleanup() {
      for (const c of cleanups.splice(0)) c();
      clearTimeout(prepareTimer);
    },
  };
}
