// Text: a written answer per item, optionally corrected from a draft. The item's source text
// sits above a text area that keeps typing to itself: Ctrl/Cmd+Enter submits, Esc leaves it so
// the shared keys work (j/k, u, s, f, g, ?), and Enter, e or i goes back in. A word diff of the
// text against the draft follows the typing. The parts: text-model.js (lengths, what blocks a
// submission, keys; pure), text-diff.js (the diff; pure) and text-editor.js (the nodes). They
// share the task's state `st`:
//   panel      the text area and what surrounds it (built once, updated in place)
//   key        the item whose text is in the text area
//   edits      texts left in the text area per item (kept while moving between items)
//   attempted  a submission of this item was refused (its reason is an alert)

import { listen } from "./dom.js";
import { mountLabeler } from "./labeler.js";
import { createPanel, loadText, renderDiff, renderSources, renderStatus, sourceNode, sourceRows } from "./text-editor.js";
import { Edits, editorKey, isolatedInEditor, rootKey, startText } from "./text-model.js";

/** How long typing pauses before the diff is drawn again (ms). */
const DIFF_DELAY_MS = 150;

const HELP = (config) => [
  ["Ctrl+Enter", "submit the text and go to the next item (Cmd+Enter on a Mac)"],
  ["Esc", "leave the text area (then the keys below work)"],
  ["Enter · e · i", "back into the text area"],
  ["j k / ← →", "next / previous item"],
  ["u · s · f · g · ?", "undo · skip · flag · guidelines · this help"],
  ...(config.has_draft ? [["", "the text starts from the item's draft; the changes to it are shown under the text area"]] : []),
];

const inEditor = (st) => st.panel.area.matches(":focus");

function enterEditor(st) {
  st.panel.area.focus({ preventScroll: false });
}

function leaveEditor(st, ctx) {
  ctx.root.focus({ preventScroll: true });
}

/** Draw the diff now, or after typing pauses (`delay`). */
function scheduleDiff(st, item, delay) {
  clearTimeout(st.diffTimer);
  const draft = item.payload.draft;
  if (typeof draft !== "string") {
    renderDiff(st.panel, null);
    return;
  }
  if (delay === 0 && st.panel.area.value === draft) {
    renderDiff(st.panel, draft); // unchanged: no diff to compute
    return;
  }
  st.diffTimer = setTimeout(() => {
    const current = st.ctx.window.item;
    if (current && current.key === item.key) renderDiff(st.panel, draft);
  }, delay);
}

/** Submit the text area's text for `item`, or say what blocks it. */
function submit(st, ctx, item) {
  if (!item || item.payload.error !== undefined) return;
  showText(st, ctx, item);
  const text = st.panel.area.value;
  st.edits.set(item.key, text);
  if (renderStatus(st.panel, ctx.config(), true)) {
    st.attempted = true;
    return;
  }
  st.attempted = false;
  ctx.label(text); // paints the next item (its text comes into the same text area)
  if (!ctx.window.item && inEditor(st)) leaveEditor(st, ctx); // done or loading: nothing to type in
}

/** Put `item`'s text in the text area if another item's is there. */
function showText(st, ctx, item) {
  if (st.key === item.key) return false;
  clearTimeout(st.diffTimer);
  st.key = item.key;
  st.attempted = false;
  loadText(st.panel, startText(item, st.edits));
  scheduleDiff(st, item, 0);
  return true;
}

function listenToPanel(st, ctx) {
  const { panel } = st;
  const onInput = () => {
    const item = ctx.window.item;
    if (!item || st.key !== item.key) return;
    st.edits.set(item.key, panel.area.value);
    renderStatus(panel, ctx.config(), false);
    scheduleDiff(st, item, DIFF_DELAY_MS);
  };
  const onEditorKey = (event) => {
    if (event.isComposing || event.keyCode === 229) return; // an input method is composing
    const what = editorKey(event);
    if (what === "submit") {
      event.preventDefault();
      submit(st, ctx, ctx.window.item);
    } else if (what === "leave") {
      event.preventDefault();
      leaveEditor(st, ctx);
    }
  };
  // Keys typed in the text area never leave the widget (typing, Shift, Alt characters, the
  // editing shortcuts); this runs on the root before the shell's listener, which still sees
  // them for the active-time timer and leaves text boxes alone.
  const isolate = (event) => {
    if (event.target === panel.area && isolatedInEditor(event)) event.stopPropagation();
    else if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) event.stopPropagation();
  };
  const onClick = (event) => {
    const button = event.target.closest("button");
    const item = ctx.window.item;
    if (!button || !item) return;
    if (button.dataset.action === "submit") submit(st, ctx, item);
    else if (button.dataset.source !== undefined) {
      const row = sourceRows(item)[Number(button.dataset.source)];
      if (!row) return;
      panel.area.value = row.value;
      onInput();
      enterEditor(st);
    }
  };
  return [
    listen(panel.area, "input", onInput),
    listen(panel.area, "keydown", onEditorKey),
    listen(ctx.root, "keydown", isolate),
    listen(ctx.root, "keypress", isolate),
    listen(ctx.root, "keyup", isolate),
    listen(panel.root, "click", onClick),
  ];
}

function createTextTask() {
  const st = { panel: createPanel(), key: null, edits: new Edits(), attempted: false, diffTimer: null, source: null, ctx: null };
  return {
    title: "Text",
    hotkeys: () => [],
    navKeys: { prev: "k", next: "j" },
    helpRows: HELP,

    setup(ctx) {
      st.ctx = ctx;
      const offs = listenToPanel(st, ctx);
      return () => {
        clearTimeout(st.diffTimer);
        offs.forEach((off) => off());
      };
    },

    renderItem(ctx, item, body) {
      if (st.source && st.source.key === item.key && body.contains(st.source.node)) return;
      st.source = { key: item.key, node: sourceNode(item.payload.text) };
      body.replaceChildren(st.source.node);
    },

    renderControls(ctx, item, controls) {
      if (controls.firstChild !== st.panel.root || controls.childNodes.length !== 1) controls.replaceChildren(st.panel.root);
      const changed = showText(st, ctx, item);
      renderStatus(st.panel, ctx.config(), st.attempted);
      if (changed) renderSources(st.panel, item);
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
