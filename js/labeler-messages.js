// The kernel's side: custom messages (item windows, acks, errors, gold feedback) and trait
// changes (progress, status, guidelines, config), each redrawing what it changes.

import { replayKept, shown } from "./labeler-actions.js";
import { renderAll, renderBanner, renderGuidelines, renderProgress, renderSaveState } from "./labeler-render.js";

/** A window of items: merge it, draw the item on screen, replay the keys kept meanwhile. */
function onWindow(shell, msg, buffers) {
  const { win, channel } = shell;
  const before = win.current;
  const applied = win.accept(msg, {
    convert: (p) => channel.receive(p, buffers || []),
    release: (p) => channel.release(p),
    client: channel.client,
  });
  if (!applied) return;
  if (win.current !== before) shown(shell);
  renderAll(shell);
  replayKept(shell);
  // A window answering another view may leave out an item only this view lacks: ask.
  if (win.waiting && win.current !== null) channel.send({ type: "hello" });
}

/** Suggestions computed after their items were sent: the item on screen shows its own at once. */
function onSuggestion(shell, msg) {
  let redraw = false;
  for (const { key, suggestion } of msg.items || []) redraw = shell.win.setSuggestion(key, suggestion) || redraw;
  if (redraw) renderAll(shell);
}

function onCustom(shell, msg, buffers) {
  if (msg.type === "window") {
    onWindow(shell, msg, buffers);
  } else if (msg.type === "suggestion") {
    onSuggestion(shell, msg);
  } else if (msg.type === "feedback") {
    shell.panels.onFeedback(msg);
  } else if (msg.type === "ack") {
    shell.channel.settle(msg.seqs);
    renderSaveState(shell);
  } else if (msg.type === "error") {
    if (msg.seq !== null && msg.seq !== undefined) shell.channel.settle([msg.seq]);
    shell.ui.transientError = msg.message;
    renderBanner(shell);
  }
}

/** Listen to the kernel's messages and trait changes; returns the cleanups. */
export function listenToKernel(shell) {
  const { model } = shell;
  const handlers = {
    "msg:custom": (msg, buffers) => onCustom(shell, msg, buffers),
    "change:_progress": () => renderProgress(shell),
    "change:_status": () => {
      renderBanner(shell);
      renderSaveState(shell);
    },
    "change:_guidelines_html": () => renderGuidelines(shell),
    "change:_suggest": () => renderBanner(shell),
    "change:_config": () => renderAll(shell),
  };
  return Object.entries(handlers).map(([name, handler]) => {
    model.on(name, handler);
    return () => model.off(name, handler);
  });
}
