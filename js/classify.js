// Classify: one label (or a set with multi=True) for a text and/or image item. Label sets
// larger than the hotkeys also get a type-ahead search (label-picker.js), built on first draw.
// The task's state `st`: draft ({key, chosen}: the multi-label selection being edited), picker
// and pickerLabels (the search and the label list it was built for), buttonBox.

import { h, listen } from "./dom.js";
import { hotkeyed, labelHotkeys, needsSearch } from "./keymap.js";
import { createLabelPicker } from "./label-picker.js";
import { mountLabeler } from "./labeler.js";

const asSet = (value) => new Set(value === undefined || value === null ? [] : Array.isArray(value) ? value : [value]);

/** The multi-label selection being edited for `item` (starts from its value or suggestion). */
function chosenFor(st, item) {
  if (st.draft.key !== item.key) {
    const start = item.value ?? item.payload.suggestion ?? [];
    st.draft = { key: item.key, chosen: new Set(Array.isArray(start) ? start : [start]) };
  }
  return st.draft.chosen;
}

/** Pick label `index`: toggles it in a multi-label task, labels the item otherwise. */
function choose(st, ctx, item, index) {
  if (!item) return;
  if (ctx.config().multi) {
    const chosen = chosenFor(st, item);
    if (chosen.has(index)) chosen.delete(index);
    else chosen.add(index);
    ctx.rerender();
  } else {
    ctx.label(index);
  }
}

/** Enter: confirm the chosen labels (multi), or accept the suggestion. */
function confirm(st, ctx, item) {
  if (!item) return;
  if (ctx.config().multi) {
    ctx.label(Array.from(chosenFor(st, item)).sort((a, b) => a - b));
  } else if (item.payload.suggestion !== undefined && item.payload.suggestion !== null) {
    ctx.label(item.payload.suggestion);
  }
}

/** The type-ahead picker for this label set (null when every label has a hotkey). */
function pickerFor(st, ctx, keys) {
  const config = ctx.config();
  if (!needsSearch(config.labels.length)) return null;
  if (!st.picker || st.pickerLabels !== config.labels) {
    if (st.picker) st.picker.cleanup();
    st.pickerLabels = config.labels;
    st.picker = createLabelPicker({
      labels: config.labels,
      hotkeys: keys,
      multi: Boolean(config.multi),
      isChosen: (index) => {
        const item = ctx.window.item;
        if (!item) return false;
        return config.multi ? chosenFor(st, item).has(index) : item.value === index;
      },
      onPick: (index) => choose(st, ctx, ctx.window.item, index),
      onEnterEmpty: () => confirm(st, ctx, ctx.window.item),
      onLeave: () => ctx.root.focus({ preventScroll: true }),
    });
  }
  return st.picker;
}

/** The image and/or text of an item. */
function drawItem(item, body) {
  const payload = item.payload;
  const parts = [];
  if (payload.image) {
    parts.push(
      payload.image.url
        ? h("img", { class: "nbl-image", src: payload.image.url, alt: `Image of item ${payload.id}` })
        : h("div", { class: "nbl-image-error", role: "img", "aria-label": "Image unavailable", text: payload.image.error }),
    );
  }
  if ("text" in payload) {
    parts.push(
      payload.text === null
        ? h("div", { class: "nbl-text nbl-empty", text: "(empty)" })
        : h("div", { class: "nbl-text", dir: "auto", text: payload.text }),
    );
  }
  body.replaceChildren(...parts);
}

function labelButton(label, index, { keys, chosen, suggested }) {
  return h("button", {
    type: "button",
    class: `nbl-btn nbl-label-btn${suggested.has(index) ? " nbl-suggested" : ""}`,
    "data-index": index,
    "aria-label": label,
    "aria-pressed": chosen.has(index) ? "true" : "false",
    "aria-keyshortcuts": keys[index] || undefined,
    title: suggested.has(index) ? `${label} (suggested)` : label,
  },
  keys[index] ? h("kbd", { text: keys[index] }) : null,
  h("span", { class: "nbl-label-text", text: label }));
}

/** The label buttons (and Confirm for multi-label). A taxonomy gets buttons for the hotkeyed
 * labels and for labels on this item (chosen or suggested); every other label is one search
 * away. Never 100,000 buttons. */
function labelButtons(st, config, item, keys) {
  const chosen = config.multi ? chosenFor(st, item) : asSet(item.value);
  const suggested = asSet(item.payload.suggestion);
  const shown = config.many_labels
    ? [...new Set([...hotkeyed(keys), ...[...chosen, ...suggested].sort((a, b) => a - b)])]
    : config.labels.map((_, index) => index);
  const buttons = shown.filter((index) => config.labels[index] !== undefined)
    .map((index) => labelButton(config.labels[index], index, { keys, chosen, suggested }));
  if (config.multi) {
    buttons.push(
      h("button", { type: "button", class: "nbl-btn nbl-confirm", "data-action": "confirm", "aria-keyshortcuts": "Enter" },
        "Confirm", h("kbd", { text: "Enter" })),
    );
  }
  return buttons;
}

function renderLabelControls(st, ctx, item, controls, keys) {
  const buttons = labelButtons(st, ctx.config(), item, keys);
  const search = pickerFor(st, ctx, keys);
  if (!search) {
    controls.replaceChildren(...buttons);
    return;
  }
  // The search box stays in place across redraws (it may hold the focus and a query).
  st.buttonBox.replaceChildren(...buttons);
  if (st.buttonBox.parentNode !== controls || search.node.parentNode !== controls) {
    controls.replaceChildren(st.buttonBox, search.node);
  }
  search.refresh();
}

function createClassifyTask() {
  const st = { draft: { key: null, chosen: new Set() }, picker: null, pickerLabels: null, buttonBox: h("div", { class: "nbl-label-buttons" }) };
  let hotkeyCache = { labels: null, keys: [] };
  const hotkeys = (config) => {
    if (hotkeyCache.labels !== config.labels) hotkeyCache = { labels: config.labels, keys: labelHotkeys((config.labels || []).length) };
    return hotkeyCache.keys;
  };

  return {
    title: "Classify",
    hotkeys,

    setup(ctx, { controls }) {
      const stop = listen(controls, "click", (event) => {
        const button = event.target.closest("button");
        if (!button) return;
        const item = ctx.window.item;
        if (button.dataset.index !== undefined) choose(st, ctx, item, Number(button.dataset.index));
        else if (button.dataset.action === "confirm") confirm(st, ctx, item);
      });
      return () => {
        stop();
        if (st.picker) st.picker.cleanup();
        st.picker = null;
      };
    },

    renderItem: (ctx, item, body) => drawItem(item, body),
    renderControls: (ctx, item, controls) => renderLabelControls(st, ctx, item, controls, hotkeys(ctx.config())),

    onAction(ctx, action, item) {
      if (action.type === "search") {
        const search = item ? pickerFor(st, ctx, hotkeys(ctx.config())) : null;
        if (search) search.open();
        return true;
      }
      if (action.type === "label") {
        if (action.index < ctx.config().labels.length) choose(st, ctx, item, action.index);
        return true;
      }
      if (action.type === "confirm") {
        confirm(st, ctx, item);
        return true;
      }
      return false;
    },
  };
}

export default {
  render({ model, el }) {
    return mountLabeler({ model, el }, createClassifyTask());
  },
};
