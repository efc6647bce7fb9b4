// What the shell does for an action (a key or a button): the task's own actions first, then
// navigation, skip, undo, flag, guidelines, help and Escape. Keys pressed while the screen
// waits for the kernel are kept and replayed in order (labeler-keys.js).

import { renderAll } from "./labeler-render.js";

/** An item is on screen from now: its active time starts. */
export function shown(shell) {
  shell.timer.start();
}

/** Label the item on screen with a browser-encoded value and move on (the task's ctx.label). */
export function labelCurrent(shell, value) {
  const { win, channel, timer, panels } = shell;
  const item = win.item;
  if (!item) return;
  channel.send({ type: "label", key: item.key, value, active_ms: timer.elapsed(), ...panels.extras(item) }, true);
  win.commitCurrent("label", value);
  shown(shell);
  renderAll(shell); // paint the prefetched next item now, without waiting for the kernel
}

/** Flag the item on screen with `comment` (the flag form's submit). */
export function flagCurrent(shell, comment) {
  const item = shell.win.item;
  if (item) {
    shell.channel.send({ type: "flag", key: item.key, comment }, true);
    shell.win.setFlag(item.key, comment);
  }
  shell.flag.close();
  renderAll(shell);
}

function step(shell, dir) {
  const { win, channel } = shell;
  const from = win.current;
  const key = win.step(dir);
  if (key !== null && win.current === key) channel.send({ type: "goto", key });
  else channel.send({ type: "nav", key: from, step: dir });
  shown(shell);
}

/** The shell's part of an action. Returns whether the screen must be drawn again. */
function applyShellAction(shell, action, item) {
  const { win, channel, timer, config, dom, ui } = shell;
  switch (action.type) {
    case "next":
    case "prev":
      step(shell, action.type === "next" ? 1 : -1);
      return true;
    case "skip":
      if (!item) return false;
      channel.send({ type: "skip", key: item.key, active_ms: timer.elapsed() }, true);
      win.commitCurrent("skip", null);
      shown(shell);
      return true;
    case "undo":
      channel.send({ type: "undo" }, true);
      win.undoLocal();
      shown(shell);
      return true;
    case "flag":
      if (item) shell.flag.open(item.flag || "");
      return false;
    case "guidelines":
      if (config().has_guidelines) dom.guidelines.hidden = !dom.guidelines.hidden;
      return true;
    case "help":
      ui.showHelp = !ui.showHelp;
      return true;
    case "escape":
      ui.showHelp = false;
      dom.guidelines.hidden = true;
      ui.transientError = "";
      return true;
    default:
      return false;
  }
}

/** Do `action` now, or keep it while the screen waits (`replaying`: it was kept). */
export function perform(shell, action, replaying = false) {
  const { win, kept, task, ctx } = shell;
  const item = win.item;
  if (!replaying && kept.keep(action, { hasItem: !!item, waiting: win.waiting })) return;
  if (action.type === "flag" && kept.size) return; // its item is not on screen yet
  if (task.onAction(ctx, action, item)) return;
  if (applyShellAction(shell, action, item)) renderAll(shell);
}

/** Replay the kept actions now that an item arrived. */
export function replayKept(shell) {
  shell.kept.replay(() => shell.win.waiting, (action) => perform(shell, action, true));
}
