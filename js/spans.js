// Spans: tag spans of text with labels. Offsets here are UTF-16 (the browser's string indices);
// the kernel converts them to Python code points. Label names reach the page only as text
// (textContent, or a data attribute shown by CSS attr()).

import { colour, labelChips } from "./chips.js";
import { h, listen } from "./dom.js";
import { labelHotkeys } from "./keymap.js";
import { mountLabeler } from "./labeler.js";
import { readSelection } from "./selection.js";
import {
  addSpan,
  bucketByChunk,
  chunkBounds,
  confirmStep,
  graphemeBoundaries,
  isAligned,
  levels,
  segments,
  snapToCharacters,
  snapToTokens,
  tokenAfter,
} from "./spans-model.js";

const LINE = 4; // px per stacked underline
const UNREADABLE =
  "That selection could not be read as text of this item, so nothing was tagged. Drag again inside the text, or tag with → ← and Enter.";
const ASK_EMPTY = "No spans tagged on this item. Press Enter again to confirm that it has none.";


function createSpansTask() {
  let hotkeyCache = { labels: null, keys: [] };
  let draft = null;
  let active = 0; // the label new spans get
  // What the text on screen was drawn from: {key, text (element), chunks: [{start, end, el, sign,
  // segs, shown}]}. Only the paragraphs whose spans changed are drawn again.
  let view = null;
  let boundsCache = { key: null, bounds: null };

  function hotkeys(config) {
    if (hotkeyCache.labels !== config.labels) {
      hotkeyCache = { labels: config.labels, keys: labelHotkeys((config.labels || []).length) };
    }
    return hotkeyCache.keys;
  }

  /** The spans being edited for `item`: its value (or nothing), suggestions pending beside them. */
  function draftFor(item) {
    if (!draft || draft.key !== item.key) {
      const labeled = Array.isArray(item.value);
      draft = {
        key: item.key,
        spans: labeled ? item.value.map((s) => s.slice()) : [],
        suggestions: !labeled && Array.isArray(item.payload.suggestion) ? item.payload.suggestion.map((s) => ({ span: s.slice(), state: "pending" })) : [],
        history: [], // previous {spans, suggestions} for per-span undo
        selected: null, // {kind: "span"|"suggestion", index}
        cursor: null, // {anchor, focus}: token indices
        notice: "",
        unread: false, // a selection could not be read since the last span change
        asked: false, // Enter was pressed with no span: the next Enter confirms "no spans"
      };
    }
    return draft;
  }

  function snapshot(d) {
    return { spans: d.spans.map((s) => s.slice()), suggestions: d.suggestions.map((x) => ({ span: x.span.slice(), state: x.state })) };
  }

  /** Forget that Enter asked about an empty item (anything else was done since). */
  function unask(d) {
    if (!d.asked) return;
    d.asked = false;
    if (d.notice === ASK_EMPTY) d.notice = "";
  }

  function remember(d) {
    d.unread = false;
    unask(d);
    d.history.push(snapshot(d));
    if (d.history.length > 200) d.history.shift();
  }

  function graphemes(item) {
    if (boundsCache.key !== item.key) boundsCache = { key: item.key, bounds: graphemeBoundaries(item.payload.text || "") };
    return boundsCache.bounds;
  }

  const quote = (item, s) => `“${(item.payload.text || "").slice(s[0], s[1])}”`;

  function labelName(ctx, index) {
    return ctx.config().labels[index] ?? "?";
  }

  /** Add [s, e) with `label` to the draft (replacing overlapped spans unless overlap=True). */
  function tag(ctx, item, s, e, label) {
    const d = draftFor(item);
    const result = addSpan(d.spans, [s, e, label], ctx.config().overlap);
    if (!result.added) return;
    remember(d);
    d.history[d.history.length - 1].notice = d.notice;
    d.spans = result.spans;
    d.selected = null;
    const tokens = item.payload.tokens || [];
    if (result.replaced.length) {
      const names = result.replaced.map((x) => `${labelName(ctx, x[2])} ${quote(item, x)}`).join(", ");
      d.notice = `Replaced ${names} (overlapping spans are not allowed here; Backspace undoes).`;
    } else if (!isAligned(tokens, s, e)) {
      d.notice = `${quote(item, [s, e])} does not line up with whole tokens; it is marked with a dotted line.`;
    } else {
      d.notice = "";
    }
    ctx.rerender();
  }

  function confirm(ctx, item) {
    const d = draftFor(item);
    ctx.label(d.spans.map((s) => s.slice()));
  }

  /** Enter or Space on the item: confirm it, unless that would store no spans the annotator
   * did not choose (see confirmStep): then ask, and the next Enter confirms "no spans here". */
  function confirmByKey(ctx, item) {
    const d = draftFor(item);
    const step = confirmStep({
      spans: d.spans.length,
      labeled: Array.isArray(item.value),
      edited: d.history.length > 0,
      unread: d.unread,
      asked: d.asked,
    });
    if (step === "confirm") {
      confirm(ctx, item);
      return;
    }
    d.asked = true;
    d.notice = ASK_EMPTY;
    ctx.rerender();
  }

  function undoSpan(ctx, item) {
    const d = draftFor(item);
    const previous = d.history.pop();
    if (!previous) return false;
    d.spans = previous.spans;
    d.suggestions = previous.suggestions;
    d.notice = "";
    d.selected = null;
    ctx.rerender();
    return true;
  }

  function removeSelected(ctx, item) {
    const d = draftFor(item);
    if (!d.selected) return false;
    remember(d);
    if (d.selected.kind === "span") d.spans = d.spans.filter((_, i) => i !== d.selected.index);
    else d.suggestions[d.selected.index].state = "rejected";
    d.selected = null;
    d.notice = "";
    ctx.rerender();
    return true;
  }

  function acceptSuggestion(ctx, item, index, label) {
    const d = draftFor(item);
    const suggestion = d.suggestions[index];
    const span = [suggestion.span[0], suggestion.span[1], label ?? suggestion.span[2]];
    const result = addSpan(d.spans, span, ctx.config().overlap);
    remember(d);
    d.spans = result.spans;
    suggestion.state = "accepted";
    d.selected = null;
    ctx.rerender();
  }

  function setAll(ctx, item, state) {
    const d = draftFor(item);
    if (!d.suggestions.some((x) => x.state === "pending")) return;
    remember(d);
    for (const x of d.suggestions) {
      if (x.state !== "pending") continue;
      x.state = state;
      if (state === "accepted") d.spans = addSpan(d.spans, x.span, ctx.config().overlap).spans;
    }
    d.selected = null;
    ctx.rerender();
  }

  /** The token-cursor range as [start, end] offsets, or null. */
  function cursorRange(item) {
    const d = draftFor(item);
    const tokens = item.payload.tokens || [];
    if (!d.cursor || !tokens.length) return null;
    const [a, b] = [Math.min(d.cursor.anchor, d.cursor.focus), Math.max(d.cursor.anchor, d.cursor.focus)];
    return [tokens[2 * a], tokens[2 * b + 1]];
  }

  function moveCursor(ctx, item, step, extend) {
    const d = draftFor(item);
    const count = (item.payload.tokens || []).length / 2;
    if (!count) return;
    if (!d.cursor) {
      d.cursor = { anchor: 0, focus: 0 };
    } else {
      const focus = Math.max(0, Math.min(count - 1, d.cursor.focus + step));
      d.cursor = { anchor: extend ? d.cursor.anchor : focus, focus };
    }
    d.selected = null;
    ctx.rerender();
    view?.text?.querySelector(".nbl-span-cursor")?.scrollIntoView({ block: "nearest" });
  }

  /** The text offset (UTF-16) of a DOM boundary inside the text element: segments carry their
   * start offset, so no text is walked (label tags are CSS pseudo-elements, not text). */
  function offsetOf(node, offset) {
    if (node.nodeType === Node.TEXT_NODE) return Number(node.parentElement.closest(".nbl-seg").dataset.start) + offset;
    const child = node.childNodes[offset];
    if (child) {
      const seg = child.nodeType === Node.TEXT_NODE ? child.parentElement : child.matches?.(".nbl-seg") ? child : child.querySelector?.(".nbl-seg");
      if (seg) return Number(seg.dataset.start);
    }
    const segs = node.querySelectorAll ? node.querySelectorAll(".nbl-seg") : [];
    const last = segs[segs.length - 1] || node.parentElement?.closest(".nbl-seg");
    return last ? Number(last.dataset.end) : 0;
  }

  /** A selection that cannot be placed in the text: say so, and keep Enter from storing an
   * empty span list on the strength of it. */
  function unreadable(ctx, item) {
    const d = draftFor(item);
    d.unread = true;
    d.asked = false;
    d.notice = UNREADABLE;
    ctx.rerender();
  }

  function onMouseUp(ctx, event) {
    const item = ctx.window.item;
    if (!item || !view || view.key !== item.key || !view.text) return;
    const selection = readSelection(view.text);
    if (!selection) return;
    const { range } = selection;
    selection.clear();
    if (!range || !view.text.contains(range.startContainer) || !view.text.contains(range.endContainer)) {
      unreadable(ctx, item);
      return;
    }
    const s = offsetOf(range.startContainer, range.startOffset);
    const e = offsetOf(range.endContainer, range.endOffset);
    const text = item.payload.text || "";
    const byChar = event.shiftKey || ctx.config().snap === "char";
    const snapped = byChar ? snapToCharacters(text, graphemes(item), s, e) : snapToTokens(item.payload.tokens || [], s, e);
    if (!snapped) return;
    tag(ctx, item, snapped[0], snapped[1], active);
    ctx.root.focus({ preventScroll: true });
  }

  function onTextClick(ctx, event) {
    const item = ctx.window.item;
    if (!item || !view || !view.text || readSelection(view.text)) return;
    const seg = event.target.closest(".nbl-seg");
    if (!seg || !view.text.contains(seg)) return;
    const chunk = view.chunks[Number(seg.dataset.chunk)];
    const covers = chunk.segs[Number(seg.dataset.seg)].covers.map((i) => chunk.shown[i]).filter((x) => x.kind !== "cursor");
    if (!covers.length) return;
    // the innermost: the shortest of the spans under the click
    covers.sort((a, b) => a.range[1] - a.range[0] - (b.range[1] - b.range[0]));
    const d = draftFor(item);
    const pick = covers[0];
    const index = pick.kind === "span" ? d.spans.findIndex((x) => x[0] === pick.range[0] && x[1] === pick.range[1] && x[2] === pick.range[2]) : pick.index;
    if (index < 0) return;
    const same = d.selected && d.selected.kind === pick.kind && d.selected.index === index;
    d.selected = same ? null : { kind: pick.kind, index };
    d.cursor = null;
    ctx.rerender();
  }

  /** Everything drawn over the text: spans, pending suggestions, the token cursor. */
  function overlays(item) {
    const d = draftFor(item);
    const shown = d.spans.map((s, index) => ({ kind: "span", index, range: s }));
    d.suggestions.forEach((x, index) => {
      if (x.state === "pending") shown.push({ kind: "suggestion", index, range: x.span });
    });
    const cursor = cursorRange(item);
    if (cursor) shown.push({ kind: "cursor", index: 0, range: [cursor[0], cursor[1], -1] });
    for (const x of shown) x.selected = !!(d.selected && d.selected.kind === x.kind && d.selected.index === x.index);
    return shown;
  }

  /** Draw one paragraph: its segments between span boundaries, underlines stacked by level,
   * the label tag after each span's last segment. */
  function drawChunk(ctx, item, chunk, shown, number) {
    const text = item.payload.text;
    const tokens = item.payload.tokens || [];
    const labels = ctx.config().labels;
    const [c0, c1] = [chunk.start, chunk.end];
    const drawn = shown.filter((x) => x.kind !== "cursor");
    const level = levels(drawn.map((x) => x.range));
    const levelOf = new Map(drawn.map((x, i) => [x, level[i]]));
    const lines = drawn.length ? Math.max(...level) + 1 : 0;
    const local = shown.map((x) => [Math.max(c0, x.range[0]) - c0, Math.min(c1, x.range[1]) - c0]);
    const segs = segments(c1 - c0, local);
    const el = h("div", { class: "nbl-chunk" });
    el.style.setProperty("--nbl-lines", String(lines));
    segs.forEach((seg, i) => {
      const start = c0 + seg.start;
      const end = c0 + seg.end;
      const node = h("span", { class: "nbl-seg", "data-chunk": number, "data-seg": i, "data-start": start, "data-end": end, text: text.slice(start, end) });
      const layers = [];
      const positions = [];
      const names = [];
      for (const c of seg.covers) {
        const x = shown[c];
        if (x.kind === "cursor") {
          node.classList.add("nbl-span-cursor");
          continue;
        }
        const col = colour(x.range[2]);
        if (x.kind === "suggestion") {
          node.classList.add("nbl-suggested-span");
          layers.push(`repeating-linear-gradient(90deg, ${col} 0 4px, transparent 4px 7px)`);
        } else {
          node.classList.add("nbl-spanned");
          if (!isAligned(tokens, x.range[0], x.range[1])) node.classList.add("nbl-unaligned");
          layers.push(`linear-gradient(${col}, ${col})`);
        }
        positions.push(`0 calc(100% - ${levelOf.get(x) * LINE}px)`);
        if (x.selected) node.classList.add("nbl-selected-span");
        if (x.range[1] === end) names.push(`${labels[x.range[2]] ?? "?"}${x.kind === "suggestion" ? "?" : ""}`);
      }
      if (layers.length) {
        node.style.backgroundImage = layers.join(", ");
        node.style.backgroundPosition = positions.join(", ");
        node.style.backgroundSize = layers.map(() => `100% ${LINE - 1}px`).join(", ");
        node.style.backgroundRepeat = "no-repeat";
        node.style.paddingBottom = `${lines * LINE}px`;
      }
      if (names.length) node.dataset.label = names.join(" · ");
      el.append(node);
    });
    chunk.segs = segs;
    chunk.shown = shown;
    return el;
  }

  // What a paragraph shows. Span indices shift when a span is added before them, so spans are
  // known by their range here (and found again by range when clicked).
  const signature = (shown) =>
    shown.map((x) => `${x.kind === "span" ? "s" : `${x.kind[0]}${x.index}`}:${x.range.join(",")}${x.selected ? "*" : ""}`).join("|");

  function drawText(ctx, item, body) {
    const text = item.payload.text;
    if (text === null || text === undefined) {
      body.replaceChildren(h("div", { class: "nbl-text nbl-empty", text: "(empty)" }));
      view = { key: item.key, text: null, chunks: [] };
      return;
    }
    const shown = overlays(item);
    const fresh = !view || view.key !== item.key || !view.text || !body.contains(view.text) || view.labels !== ctx.config().labels;
    if (fresh) {
      const container = h("div", { class: "nbl-text nbl-spans-text", dir: "auto" });
      view = { key: item.key, text: container, labels: ctx.config().labels, chunks: chunkBounds(text).map(([start, end]) => ({ start, end, el: null, sign: null })) };
    }
    const buckets = bucketByChunk(view.chunks.map((c) => [c.start, c.end]), shown.map((x) => x.range));
    view.chunks.forEach((chunk, i) => {
      const mine = buckets[i].map((j) => shown[j]);
      const sign = signature(mine);
      if (chunk.el && chunk.sign === sign) return; // unchanged paragraph: keep its nodes
      const el = drawChunk(ctx, item, chunk, mine, i);
      if (chunk.el) chunk.el.replaceWith(el);
      chunk.el = el;
      chunk.sign = sign;
    });
    if (fresh) {
      view.text.append(...view.chunks.map((c) => c.el));
      body.replaceChildren(view.text);
    }
  }

  return {
    title: "Spans",
    hotkeys,
    navKeys: { prev: "k", next: "j" }, // the arrows move the token cursor

    helpRows(config) {
      return [
        ["1–9, 0, letters", "choose the label for new spans (or relabel the selected span)"],
        ["drag / double-click", `tag the selection (snaps to ${config.snap === "char" ? "characters" : "words"}; Shift held on release: characters)`],
        ["→ ← / Shift+→ ←", "move / extend the token cursor"],
        ["Enter", "tag the cursor's tokens; with nothing selected, confirm the item"],
        ["Enter Enter", "on an item with no spans: confirm that it has none (the first Enter asks)"],
        ["Space", "confirm the item"],
        ["click a span", "select it: a label key relabels, Delete removes, Enter accepts a suggestion"],
        ["Backspace", "undo the last span change (then the last item)"],
        ["j / k", "next / previous item"],
        ["u", "undo the last item"],
        ["s · f · g", "skip · flag · guidelines"],
        ["Esc", "clear the selection and cursor"],
      ];
    },

    setup(ctx, { body, controls }) {
      const offs = [
        listen(body, "mouseup", (event) => onMouseUp(ctx, event)),
        listen(body, "click", (event) => onTextClick(ctx, event)),
        listen(controls, "click", (event) => {
          const button = event.target.closest("button");
          const item = ctx.window.item;
          if (!button || !item) return;
          if (button.dataset.index !== undefined) this.onAction(ctx, { type: "label", index: Number(button.dataset.index) }, item);
          else if (button.dataset.action === "confirm") confirm(ctx, item);
          else if (button.dataset.action === "accept-all") setAll(ctx, item, "accepted");
          else if (button.dataset.action === "reject-all") setAll(ctx, item, "rejected");
          else if (button.dataset.action === "delete") removeSelected(ctx, item);
          else if (button.dataset.action === "accept") acceptSuggestion(ctx, item, draftFor(item).selected.index);
        }),
      ];
      return () => offs.forEach((off) => off());
    },

    renderItem(ctx, item, body) {
      drawText(ctx, item, body);
    },

    renderControls(ctx, item, controls) {
      const config = ctx.config();
      const keys = hotkeys(config);
      const d = draftFor(item);
      const parts = [labelChips(config.labels, keys, active, "label for new spans")];
      const pending = d.suggestions.filter((x) => x.state === "pending").length;
      const actions = [
        h("button", { type: "button", class: "nbl-btn nbl-confirm", "data-action": "confirm", "aria-keyshortcuts": "Enter" },
          d.spans.length ? `Confirm ${d.spans.length} span${d.spans.length === 1 ? "" : "s"}` : "Confirm no spans", h("kbd", { text: "Enter" })),
      ];
      if (pending) {
        actions.push(
          h("button", { type: "button", class: "nbl-btn", "data-action": "accept-all", text: `Accept ${pending} suggestion${pending === 1 ? "" : "s"}` }),
          h("button", { type: "button", class: "nbl-btn", "data-action": "reject-all", text: "Reject all" }),
        );
      }
      parts.push(h("div", { class: "nbl-actions" }, ...actions));
      if (d.selected) {
        const x = d.selected.kind === "span" ? d.spans[d.selected.index] : d.suggestions[d.selected.index].span;
        const what = `${d.selected.kind === "span" ? "Span" : "Suggested"} ${labelName(ctx, x[2])} ${quote(item, x)}`;
        parts.push(
          h("div", { class: "nbl-span-selected", role: "status" },
            h("span", { text: `${what} — a label key relabels it` }),
            d.selected.kind === "suggestion" ? h("button", { type: "button", class: "nbl-btn", "data-action": "accept", text: "Accept (Enter)" }) : null,
            h("button", { type: "button", class: "nbl-btn", "data-action": "delete", text: d.selected.kind === "span" ? "Delete (Del)" : "Reject (Del)" })),
        );
      }
      if (d.notice) parts.push(h("div", { class: "nbl-notice", role: "status", text: d.notice }));
      controls.replaceChildren(...parts);
    },

    onKey(ctx, event, item) {
      if (!item || event.ctrlKey || event.metaKey || event.altKey) return false;
      const d = draftFor(item);
      if (!["Enter", " ", "Shift", "Control", "Alt", "Meta"].includes(event.key)) unask(d);
      switch (event.key) {
        case "ArrowRight":
        case "ArrowLeft":
          moveCursor(ctx, item, event.key === "ArrowRight" ? 1 : -1, event.shiftKey);
          return true;
        case "Delete":
          return removeSelected(ctx, item);
        case "Backspace":
          if (removeSelected(ctx, item)) return true;
          return undoSpan(ctx, item); // false: nothing to undo here, the shell undoes the last item
        case " ":
          if (d.cursor || d.selected) return false;
          confirmByKey(ctx, item);
          return true;
        case "Escape":
          if (!d.cursor && !d.selected && !d.notice) return false;
          d.cursor = null;
          d.selected = null;
          d.notice = "";
          ctx.rerender();
          return true;
        default:
          return false;
      }
    },

    onAction(ctx, action, item) {
      if (!item) return false;
      const d = draftFor(item);
      if (action.type === "label") {
        if (action.index >= ctx.config().labels.length) return true;
        if (d.selected && d.selected.kind === "span") {
          remember(d);
          const old = d.spans[d.selected.index];
          const result = addSpan(d.spans.filter((_, i) => i !== d.selected.index), [old[0], old[1], action.index], ctx.config().overlap);
          d.spans = result.spans;
          d.selected = null;
          ctx.rerender();
          return true;
        }
        if (d.selected && d.selected.kind === "suggestion") {
          acceptSuggestion(ctx, item, d.selected.index, action.index);
          return true;
        }
        active = action.index;
        const range = cursorRange(item);
        if (range) {
          tag(ctx, item, range[0], range[1], active);
          return true;
        }
        ctx.rerender();
        return true;
      }
      if (action.type === "confirm") {
        if (d.selected && d.selected.kind === "suggestion") {
          acceptSuggestion(ctx, item, d.selected.index);
          return true;
        }
        const range = cursorRange(item);
        if (range) {
          tag(ctx, item, range[0], range[1], active);
          const tokens = item.payload.tokens || [];
          const next = Math.min(tokens.length / 2 - 1, tokenAfter(tokens, range[1]));
          d.cursor = { anchor: next, focus: next };
          ctx.rerender();
          return true;
        }
        confirmByKey(ctx, item);
        return true;
      }
      if (action.type === "next" || action.type === "prev") {
        draft = null; // leaving the item drops unconfirmed edits
        return false;
      }
      return false;
    },
  };
}

export default {
  render({ model, el }) {
    return mountLabeler({ model, el }, createSpansTask());
  },
};
