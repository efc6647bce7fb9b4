// Text: a written answer per item, optionally corrected from a draft. The item's source text
// sits above a text area that keeps typing to itself: Ctrl/Cmd+Enter submits, Esc leaves it so
// the shared keys work (j/k, u, s, f, g, ?), and Enter, e or i goes back in. A word diff of the
// text against the draft follows the typing. The parts: text-model.js (lengths, what blocks a
// submission, keys; pure), text-diff.js (the diff; pure) and text-editor.js (the nodes). They
// share the task's state `st`:
//   stage, slots  the slots (source and text area) of the item on screen and the next one
//   current       the slot on screen: its `area` is the text area typed in
//   panel         the length line, reason, diff and Submit (built once, updated in place)
//   edits         texts left in the text areas per item (kept while moving between items)
//   attempted     a submission of this item was refused (its reason is an alert)

import { h, listen } from "./dom.js";
import { mountLabeler } from "./labeler.js";
import { buildSlot, createPanel, renderDiff, renderSources, renderStatus, setSlotShown, sourceRows } from "./text-editor.js";
import { Edits, editorKey, isolatedInEditor, rootKey, startText } from "./text-model.js";

/** How long typing pauses before the diff is drawn again (ms). */
const DIFF_DELAY_MS = 150;
/** How long after an item is shown the next one's slot is built (ms): after its paint. */
const PREBUILD_MS = 30;

const HELP = (config) => [
  ["Ctrl+Enter", "submit the text and go to the next item (Cmd+Enter on a Mac)"],
  ["Esc", "leave the text area (then the keys below work)"],
  ["Enter · e · i", "back into the text area"],
  ["j k / ← →", "next / previous item"],
  ["u · s · f · g · ?", "undo · skip · flag · guidelines · this help"],
  ...(config.has_draft ? [["", "the text starts from the item's draft; the changes to it are shown under the text area"]] : []),
];

const isEditor = (node) => node instanceof Element && node.classList.contains("nbl-text-editor");
const inEditor = (st) => !!st.current && st.current.area.matches(":focus");

function enterEditor(st) {
  if (st.current) st.current.area.focus({ preventScroll: true });
}

/** Draw the diff now, or after typing pauses (`delay`). */
function scheduleDiff(st, item, delay) {
  clearTimeout(st.diffTimer);
  const draft = item.payload.draft;
  const slot = st.current;
  if (typeof draft !== "string" || !slot) {
    renderDiff(st.panel, "", null);
    return;
  }
  if (delay === 0 && slot.area.value === draft) {
    renderDiff(st.panel, draft, draft); // unchanged: nothing to compute
    return;
  }
  st.diffTimer = setTimeout(() => {
    if (st.current === slot) renderDiff(st.panel, slot.area.value, draft);
  }, delay);
}

/** Keep the slots of `item` and the next one, and build the next one — once this one is
 * painted: removing the slot that had the keyboard now would lay the page out on the key press. */
function prepareNext(st, ctx, item) {
  clearTimeout(st.prebuild);
  st.prebuild = setTimeout(() => {
    const upcoming = ctx.window.upcoming.find((key) => key !== item.key);
    for (const [key, slot] of st.slots) {
      if (slot !== st.current && key !== upcoming) {
        slot.el.remove();
        st.slots.delete(key);
      }
    }
    const next = upcoming === undefined ? null : ctx.window.items.get(upcoming);
    if (!next || !next.payload || next.payload.error !== undefined || st.slots.has(next.key) || !st.stage.isConnected) return;
    st.slots.set(next.key, buildSlot(st.stage, next, startText(next, st.edits), false));
  }, PREBUILD_MS);
}

/** Show `item`'s slot in `body` (built now if it is not the one built in advance); the text
 * area keeps the keyboard if the last one had it. Returns whether another slot was on screen. */
function showItem(st, ctx, item, body) {
  if (!st.stage || !body.contains(st.stage)) {
    st.stage = h("div", { class: "nbl-text-stage" });
    st.slots = new Map();
    st.current = null;
    body.replaceChildren(st.stage);
  }
  const before = st.current;
  let slot = st.slots.get(item.key);
  if (!slot) {
    slot = buildSlot(st.stage, item, startText(item, st.edits), true);
    st.slots.set(item.key, slot);
  }
  const changed = slot !== before;
  if (changed) {
    const typing = !!before && before.area.matches(":focus");
    setSlotShown(slot, true);
    st.current = slot;
    st.attempted = false;
    const hideOthers = () => {
      for (const other of st.slots.values()) if (other !== st.current) setSlotShown(other, false);
    };
    if (typing) {
      // Moving the focus lays the page out: do it once every part of the screen is drawn (a
      // microtask, still before the next key), so that it is the frame's only layout; the old
      // text area turns inert after it.
      queueMicrotask(() => {
        if (st.current === slot && slot.el.isConnected) slot.area.focus({ preventScroll: true });
        hideOthers();
      });
    } else hideOthers();
    scheduleDiff(st, item, 0);
  }
  prepareNext(st, ctx, item);
  return changed;
}

/** Submit the text area's text for `item`, or say what blocks it. */
function submit(st, ctx, item) {
  if (!item || item.payload.error !== undefined || !st.current || st.current.key !== item.key) return;
  const area = st.current.area;
  const text = area.value;
  st.edits.set(item.key, text);
  if (renderStatus(st.panel, area, ctx.config(), true)) {
    st.attempted = true;
    return;
  }
  st.attempted = false;
  const typing = inEditor(st);
  ctx.label(text); // paints the next item; its text area takes the keyboard if this one had it
  if (typing && !ctx.window.item) ctx.root.focus({ preventScroll: true }); // done or loading: nothing to type in
}

function listenToTask(st, ctx, body) {
  const { panel } = st;
  const onInput = (event) => {
    const item = ctx.window.item;
    const slot = st.current;
    if (!item || !slot || slot.key !== item.key || (event && event.target !== slot.area)) return;
    st.edits.set(item.key, slot.area.value);
    renderStatus(panel, slot.area, ctx.config(), false);
    scheduleDiff(st, item, DIFF_DELAY_MS);
  };
  const onEditorKey = (event) => {
    if (!isEditor(event.target) || event.isComposing || event.keyCode === 229) return; // composing
    const what = editorKey(event);
    if (what === "submit") {
      event.preventDefault();
      submit(st, ctx, ctx.window.item);
    } else if (what === "leave") {
      event.preventDefault();
      ctx.root.focus({ preventScroll: true });
    }
  };
  // Keys typed in a text area never leave the widget (typing, Shift, Alt characters, the
  // editing shortcuts); this runs on the root before the shell's listener, which still sees
  // them for the active-time timer and leaves text boxes alone.
  const isolate = (event) => {
    if (isEditor(event.target) ? isolatedInEditor(event) : event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.stopPropagation();
    }
  };
  // The keyboard moving from one item's text area to the next one's is no news to the page
  // (the notebook's own focus handlers would run on every submission): kept in the widget.
  const ownFocus = (event) => {
    if (isEditor(event.target) && isEditor(event.relatedTarget)) event.stopPropagation();
  };
  const onClick = (event) => {
    const button = event.target.closest("button");
    const item = ctx.window.item;
    if (!button || !item) return;
    if (button.dataset.action === "submit") submit(st, ctx, item);
    else if (button.dataset.source !== undefined && st.current) {
      const row = sourceRows(item)[Number(button.dataset.source)];
      if (!row) return;
      st.current.area.value = row.value;
      onInput();
      enterEditor(st);
    }
  };
  return [
    listen(body, "input", onInput),
    listen(body, "keydown", onEditorKey),
    listen(ctx.root, "keydown", isolate),
    listen(ctx.root, "keypress", isolate),
    listen(ctx.root, "keyup", isolate),
    listen(ctx.root, "focusin", ownFocus),
    listen(ctx.root, "focusout", ownFocus),
    listen(panel.root, "click", onClick),
  ];
}

function createTextTask() {
  const st = { panel: createPanel(), stage: null, slots: new Map(), current: null, edits: new Edits(), attempted: false, diffTimer: null, prebuild: null, changed: false };
  return {
    title: "Text",
    hotkeys: () => [],
    navKeys: { prev: "k", next: "j" },
    helpRows: HELP,

    setup(ctx, { body }) {
      const offs = listenToTask(st, ctx, body);
      return () => {
        clearTimeout(st.diffTimer);
        clearTimeout(st.prebuild);
        offs.forEach((off) => off());
      };
    },

    renderItem(ctx, item, body) {
      st.changed = showItem(st, ctx, item, body);
    },

    renderControls(ctx, item, controls) {
      if (controls.firstChild !== st.panel.root || controls.childNodes.length !== 1) controls.replaceChildren(st.panel.root);
      if (!st.current) return;
      renderStatus(st.panel, st.current.area, ctx.config(), st.attempted);
      if (st.changed) renderSources(st.panel, item);
    },

    onKey(ctx, event, item) {
      if (event.key === "Enter" && event.target.tagName === "BUTTON" && !(event.ctrlKey || event.metaKey)) return false;
      const what = rootKey(event);
      if (!what || !item) return false;
      if (what === "submit") submit(st, ctx, item);
      else enterEditor(st);
      return true;
    },

    onAction(ctx, action, item) {
      if (!item) return false;
      if (action.type === "confirm") {
        enterEditor(st); // a kept Enter, replayed once the item arrived
        return true;
      }
      return false;
    },
  };
}

export default {
  render({ model, el }) {
    return mountLabeler({ model, el }, createTextTask());
  },
};
