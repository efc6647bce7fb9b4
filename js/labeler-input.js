// Keyboard and mouse on the shell: keys are kept from JupyterLab and turned into actions
// (session panels and the task see them first), activity feeds the active-time timer, and the
// navigation buttons perform their action. Returns the cleanups of every listener.

import { listen } from "./dom.js";
import { actionFor, shouldIsolate } from "./keymap.js";
import { perform } from "./labeler-actions.js";

const isTextBox = (target) => target.tagName === "INPUT" || target.tagName === "TEXTAREA";

function onKeyDown(shell, event) {
  const { dom, timer, flag, panels, task, ctx, win, config } = shell;
  if (shouldIsolate(event)) event.stopPropagation();
  timer.activity();
  if (flag.isOpen()) {
    if (event.key === "Escape") {
      event.preventDefault();
      flag.close();
    }
    return; // typing a comment
  }
  const target = event.target;
  if (target && target !== dom.root && isTextBox(target)) return;
  if (panels.onKey(event, win.item) || (task.onKey && task.onKey(ctx, event, win.item))) {
    event.preventDefault();
    return;
  }
  const action = actionFor(event, task.hotkeys(config()));
  if (!action) return;
  if (action.type === "confirm" && target && target.tagName === "BUTTON" && target !== dom.root) return;
  event.preventDefault();
  perform(shell, action);
}

/** Keys: actions on keydown; no key event reaches JupyterLab in any phase. */
function listenToKeys(shell) {
  const { root } = shell.dom;
  const offs = [listen(root, "keydown", (event) => onKeyDown(shell, event))];
  // Keys must not reach JupyterLab in any phase: stop key events that bubble out of the root.
  for (const type of ["keypress", "keyup"]) {
    offs.push(listen(root, type, (event) => shouldIsolate(event) && event.stopPropagation()));
  }
  return offs;
}

/** Activity for the timer: pointer and wheel on the widget; a hidden page pauses it. */
function listenToActivity({ dom, timer }) {
  const activity = () => timer.activity();
  return [
    listen(dom.root, "pointerdown", activity),
    listen(dom.root, "wheel", activity, { passive: true }),
    listen(dom.root, "pointermove", activity, { passive: true }),
    listen(document, "visibilitychange", () => {
      if (document.hidden) timer.pause();
      else timer.activity();
    }),
  ];
}

/** Clicks: the navigation buttons; a click on the item gives the widget the keyboard. */
function listenToClicks(shell) {
  const { root, nav } = shell.dom;
  return [
    listen(nav, "click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (button) perform(shell, { type: button.dataset.action });
    }),
    listen(root, "click", (event) => {
      if (event.target === root || event.target.closest(".nbl-item")) root.focus({ preventScroll: true });
    }),
  ];
}

/** Attach the shell's keyboard and mouse listeners; returns their cleanups. */
export function listenToInput(shell) {
  return [...listenToKeys(shell), ...listenToActivity(shell), ...listenToClicks(shell)];
}
