// Classify: one label (or a set with multi=True) for a text and/or image item.

import { h, listen } from "./dom.js";
import { labelHotkeys } from "./keymap.js";
import { mountLabeler } from "./labeler.js";

function createClassifyTask() {
  let hotkeyCache = { labels: null, keys: [] };
  let draft = { key: null, chosen: new Set() };

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

  return {
    title: "Classify",
    hotkeys,

    setup(ctx, { controls }) {
      return listen(controls, "click", (event) => {
        const button = event.target.closest("button");
        if (!button) return;
        const item = ctx.window.item;
        if (button.dataset.index !== undefined) choose(ctx, item, Number(button.dataset.index));
        else if (button.dataset.action === "confirm") confirm(ctx, item);
      });
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
      const buttons = config.labels.map((label, index) =>
        h(
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
        ),
      );
      if (multi) {
        buttons.push(
          h("button", { type: "button", class: "nbl-btn nbl-confirm", "data-action": "confirm", "aria-keyshortcuts": "Enter" },
            "Confirm", h("kbd", { text: "Enter" })),
        );
      }
      controls.replaceChildren(...buttons);
    },

    onAction(ctx, action, item) {
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
