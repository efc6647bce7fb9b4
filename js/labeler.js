// The shared shell of every labeling widget: layout, keyboard isolation, the item window,
// navigation, undo, skip, flag, progress, guidelines, timing, the save status and the banner.
// A task module (classify.js, ...) supplies how an item is drawn and what a label is.
//
// The shell's parts share one explicit state object, `shell`:
//   model, task, config()     the widget's model, the task, the current `_config`
//   win                       the ItemWindow (items held, the one on screen)      window.js
//   timer                     active time on the item on screen                    timing.js
//   channel                   messages to the kernel, payloads from it             labeler-channel.js
//   kept                      keys kept while the screen waits                     labeler-keys.js
//   dom                       the layout's nodes                                   labeler-layout.js
//   flag                      the flag form                                        labeler-flag.js
//   panels                    the session panels                                   session-panels.js
//   ui                        {showHelp, transientError}
//   ctx                       what the task sees (below)
// Drawing is in labeler-render.js, actions in labeler-actions.js, keyboard and mouse in
// labeler-input.js, the kernel's messages and trait changes in labeler-messages.js.

import { createChannel } from "./labeler-channel.js";
import { flagCurrent, labelCurrent, shown } from "./labeler-actions.js";
import { createFlagForm } from "./labeler-flag.js";
import { listenToInput } from "./labeler-input.js";
import { createKeptActions } from "./labeler-keys.js";
import { buildLayout } from "./labeler-layout.js";
import { listenToKernel } from "./labeler-messages.js";
import { renderAll, renderGuidelines } from "./labeler-render.js";
import { createSessionPanels } from "./session-panels.js";
import { createActiveTimer } from "./timing.js";
import { ItemWindow } from "./window.js";

/** The shell's state (see above) before the panels and the task are attached. */
function createShell(model, el, task) {
  const config = () => model.get("_config");
  const win = new ItemWindow();
  const shell = {
    model,
    task,
    config,
    win,
    timer: createActiveTimer({ idleMs: config().idle_ms || 60000 }),
    channel: createChannel(model, win),
    kept: createKeptActions(),
    ui: { showHelp: false, transientError: "" },
  };
  shell.flag = createFlagForm({
    onFlag: (comment) => flagCurrent(shell, comment),
    onClose: () => shell.dom.root.focus({ preventScroll: true }),
  });
  shell.dom = buildLayout(task, config(), shell.flag.node);
  el.replaceChildren(shell.dom.root);
  shell.ctx = {
    model,
    root: shell.dom.root,
    config,
    window: win,
    /** Label the current item with a browser-encoded value and move on. */
    label: (value) => labelCurrent(shell, value),
    rerender: () => renderAll(shell),
  };
  return shell;
}

/**
 * Mount a labeler into `el`. `task` provides:
 *   title: string                         widget name for the accessible label
 *   hotkeys(config): (string|null)[]      key per label
 *   renderItem(ctx, item, body)           draw the item into `body`
 *   renderControls(ctx, item, controls)   draw the label controls into `controls`
 *   onAction(ctx, action, item): boolean  handle task actions (label, confirm); true = handled
 *   setup(ctx, {body, controls})?: () => void  attach listeners once; returns their cleanup
 *   onKey(ctx, event, item)?: boolean     handle a key before the shared keymap; true = handled
 *   helpRows(config)?: [key, what][]      the help table (default: keymap's classifyHelpRows)
 *   navKeys?: {prev, next}                keys shown on the navigation buttons (default ← →)
 *   cleanup(ctx)?                         run after the shell's own cleanup
 * `ctx` is {model, root, config(), window, label(value), rerender()}.
 * Returns the cleanup function that removes every listener.
 */
export function mountLabeler({ model, el }, task) {
  const shell = createShell(model, el, task);
  const { dom, ctx, channel, flag } = shell;
  const cleanups = [() => flag.cleanup()];

  // Session panels: the gate/score line under the header, feedback, revealed labels and the
  // adjudication table between the item meta line and the item.
  const panels = createSessionPanels(ctx, (msg, tracked) => channel.send(msg, tracked));
  shell.panels = panels;
  cleanups.push(() => panels.cleanup());
  dom.header.after(panels.nodes.line);
  dom.itemMeta.after(panels.nodes.feedback, panels.nodes.others, panels.nodes.review);

  if (task.setup) cleanups.push(task.setup(ctx, { body: dom.body, controls: dom.controls }));
  cleanups.push(...listenToKernel(shell), ...listenToInput(shell));

  renderGuidelines(shell);
  renderAll(shell);
  channel.send({ type: "hello" });
  shown(shell);
  dom.root.focus({ preventScroll: true });

  return () => {
    for (const cleanup of cleanups.splice(0)) cleanup();
    channel.cleanup();
    if (task.cleanup) task.cleanup(ctx);
  };
}
