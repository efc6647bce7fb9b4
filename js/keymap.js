// Pure key handling: which key picks which label, and which command a key press means.

/** Letters kept for commands; never given to labels. */
export const COMMAND_LETTERS = new Set(["f", "g", "j", "k", "s", "u"]);

/** The keys labels get, in order: 1-9, 0, then the letters not used by commands. */
export const LABEL_KEYS = Object.freeze([
  ..."1234567890",
  ...Array.from("abcdefghijklmnopqrstuvwxyz").filter((c) => !COMMAND_LETTERS.has(c)),
]);

/** Hotkeys for `count` labels: 1-9, 0, then the letters not used by commands. */
export function labelHotkeys(count) {
  return Array.from({ length: count }, (_, i) => (i < LABEL_KEYS.length ? LABEL_KEYS[i] : null));
}

/** The indices of the labels that have a hotkey (`keys` from `labelHotkeys`). */
export function hotkeyed(keys) {
  const out = [];
  for (let i = 0; i < Math.min(keys.length, LABEL_KEYS.length); i++) if (keys[i]) out.push(i);
  return out;
}

/** Whether `count` labels need the type-ahead search: some label has no hotkey. */
export function needsSearch(count) {
  return count > LABEL_KEYS.length;
}

/** The help table (`?`) of a one-label-per-item task such as Classify. */
export function classifyHelpRows(config) {
  const rows = [
    ["1–9, 0, letters", "choose a label (shown on each button)"],
    ["Enter", config.multi ? "confirm the chosen labels" : "accept the suggestion"],
    ["← → / j k", "previous / next item"],
    ["u / Backspace", "undo"],
    ["s", "skip"],
    ["f", "flag with a comment"],
    ["g", "guidelines"],
    ["?", "this help"],
  ];
  if (needsSearch((config.labels || []).length)) {
    rows.splice(1, 0, [
      "/",
      `search the labels: type, ↑ ↓ to move, Enter to ${config.multi ? "add or remove" : "choose"}, Esc to leave`,
    ]);
  }
  return rows;
}

/** Whether a key event must be kept from JupyterLab (plain keys: its command mode uses them). */
export function shouldIsolate(event) {
  return !event.ctrlKey && !event.metaKey && !event.altKey;
}

/**
 * The action for a key event, or null. Actions: {type: "label", index}, "confirm", "next",
 * "prev", "undo", "skip", "flag", "guidelines", "help", "search", "escape".
 */
export function actionFor(event, hotkeys) {
  if (event.ctrlKey || event.metaKey || event.altKey) return null;
  // Letters act the same with Shift or Caps Lock ("S" skips as "s" does, "A" labels as "a").
  const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
  switch (key) {
    case "ArrowRight":
    case "ArrowDown":
    case "j":
      return { type: "next" };
    case "ArrowLeft":
    case "ArrowUp":
    case "k":
      return { type: "prev" };
    case "Enter":
      return { type: "confirm" };
    case "Backspace":
    case "u":
      return { type: "undo" };
    case "s":
      return { type: "skip" };
    case "f":
      return { type: "flag" };
    case "g":
      return { type: "guidelines" };
    case "?":
      return { type: "help" };
    case "/":
      return { type: "search" };
    case "Escape":
      return { type: "escape" };
    default: {
      const index = hotkeys.indexOf(key);
      return index >= 0 ? { type: "label", index } : null;
    }
  }
}
