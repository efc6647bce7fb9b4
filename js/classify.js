// Classify: one label (or a set with multi=True) for a text and/or image item.

import { h, listen } from "./dom.js";
import { hotkeyed, labelHotkeys, needsSearch } from "./keymap.js";
import { createLabelPicker } from "./label-picker.js";
import { mountLabeler } from "./labeler.js";

function createClassifyTask() {
  let hotkeyCache = { labels: null, keys: [] };
  let draft = { key: null, chosen: new Set() };
  // Label sets larger than the hotkeys also get a type-ahead search (built on first draw).
  let picker = null;
  let pickerLabels = null;
  const buttonBox = h("div", { class: "nbl-label-buttons" });

  function hotkeys(config) {
    if (hotkeyCache.labels !== config.labels) {
      hotkeyCache = { labels: config.labels, keys: labelHotkeys((config.labels || []).length) };
    }
    return hotkeyCache.keys;
  }

  /** The multi-label selection being edited for `item` (starts from its value or suggestion). */
  function draftFor(item) {
    if (draft.key !== item.key) {
      const start = item.value ?? item.payload.suggestion ?? [];
      draft = { key: item.key, chosen: new Set(Array.isArray(start) ? start : [start]) };
    }
    return draft.chosen;
  }

  function choose(ctx, item, index) {
    if (!item) return;
    if (ctx.config().multi) {
      const chosen = draftFor(item);
      if (chosen.has(index)) chosen.delete(index);
      else chosen.add(index);
      ctx.rerender();
    } else {
      ctx.label(index);
    }
  }

  function confirm(ctx, item) {
    if (!item) return;
    if (ctx.config().multi) {
      ctx.label(Array.from(draftFor(item)).sort((a, b) => a - b));
    } else if (item.payload.suggestion !== undefined && item.payload.suggestion !== null) {
      ctx.label(item.payload.suggestion);
    }
  }

  /** The type-ahead picker for this label set (null when every label has a hotkey). */
  function pickerFor(ctx) {
    const config = ctx.config();
    if (!needsSearch(config.labels.length)) return null;
    if (!picker || pickerLabels !== config.labels) {
      if (picker) picker.cleanup();
      pickerLabels = config.labels;
      picker = createLabelPicker({
        labels: config.labels,
        hotkeys: hotkeys(config),
        multi: Boolean(config.multi),
        isChosen: (index) => {
          const item = ctx.window.item;
          if (!item) return false;
          return config.multi ? draftFor(item).has(index) : item.value === index;
        },
        onPick: (index) => choose(ctx, ctx.window.item, index),
        onEnterEmpty: () => confirm(ctx, ctx.window.item),
        onLeave: () => ctx.root.focus({ preventScroll: true }),
      });
    }
    return picker;
  }

  return {
    title: "Classify",
    hotkeys,

    setup(ctx, { controls }) {
      const stop = listen(controls, "click", (event) => {
        const button = event.target.closest("button");
        if (!button) return;
        const item = ctx.window.item;
        if (button.dataset.index !== undefined) choose(ctx, item, Number(button.dataset.index));
        else if (button.dataset.action === "confirm") confirm(ctx, item);
      });
      return () => {
        stop();
        if (picker) picker.cleanup();
        picker = null;
      };
    },

    renderItem(ctx, item, body) {
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
    },

    renderControls(ctx, item, controls) {
      const config = ctx.config();
      const keys = hotkeys(config);
      const multi = config.multi;
      const chosen = multi ? draftFor(item) : new Set(item.value === null || item.value === undefined ? [] : [item.value]);
      const suggested = new Set(
        item.payload.suggestion === undefined || item.payload.suggestion === null
          ? []
          : Array.isArray(item.payload.suggestion) ? item.payload.suggestion : [item.payload.suggestion],
      );
      const search = pickerFor(ctx);
      // A taxonomy: buttons for the hotkeyed labels and for labels on this item (chosen or
      // suggested); every other label is one search away. Never 100,000 buttons.
      const shown = config.many_labels
        ? [...new Set([...hotkeyed(keys), ...[...chosen, ...suggested].sort((a, b) => a - b)])]
        : config.labels.map((_, index) => index);
      const buttons = shown.map((index) => {
        const label = config.labels[index];
        if (label === undefined) return null;
        return h(
          "button",
          {
            type: "button",
            class: `nbl-btn nbl-label-btn${suggested.has(index) ? " nbl-suggested" : ""}`,
            "data-index": index,
            "aria-label": label,
            "aria-pressed": chosen.has(index) ? "true" : "false",
            "aria-keyshortcuts": keys[index] || undefined,
            title: suggested.has(index) ? `${label} (suggested)` : label,
          },
          keys[index] ? h("kbd", { text: keys[index] }) : null,
          h("span", { class: "nbl-label-text", text: label }),
        );
      });
      if (multi) {
        buttons.push(
          h("button", { type: "button", class: "nbl-btn nbl-confirm", "data-action": "confirm", "aria-keyshortcuts": "Enter" },
            "Confirm", h("kbd", { text: "Enter" })),
        );
      }
      if (!search) {
        controls.replaceChildren(...buttons.filter(Boolean));
        return;
      }
      // The search box stays in place across redraws (it may hold the focus and a query).
      buttonBox.replaceChildren(...buttons.filter(Boolean));
      if (buttonBox.parentNode !== controls || search.node.parentNode !== controls) {
        controls.replaceChildren(buttonBox, search.node);
      }
      search.refresh();
    },

    onAction(ctx, action, item) {
      if (action.type === "search") {
        const search = item ? pickerFor(ctx) : null;
        if (search) search.open();
        return true;
      }
      if (action.type === "label") {
        if (action.index < ctx.config().labels.length) choose(ctx, item, action.index);
        return true;
      }
      if (action.type === "confirm") {
        confirm(ctx, item);
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
