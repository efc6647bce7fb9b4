// Pure key handling: which key picks which label, and which command a key press means.

/** Letters kept for commands; never given to labels. */
export const COMMAND_LETTERS = new Set(["f", "g", "j", "k", "s", "u"]);

/** Hotkeys for `count` labels: 1-9, 0, then the letters not used by commands. */
export function labelHotkeys(count) {
  const keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"];
  for (const c of "abcdefghijklmnopqrstuvwxyz") {
    if (!COMMAND_LETTERS.has(c)) keys.push(c);
  }
  return Array.from({ length: count }, (_, i) => (i < keys.length ? keys[i] : null));
}

/** Whether a key event must be kept from JupyterLab (plain keys: its command mode uses them). */
export function shouldIsolate(event) {
  return !event.ctrlKey && !event.metaKey && !event.altKey;
}

/**
 * The action for a key event, or null. Actions: {type: "label", index}, "confirm", "next",
 * "prev", "undo", "skip", "flag", "guidelines", "help", "escape".
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
    case "Escape":
      return { type: "escape" };
    default: {
      const index = hotkeys.indexOf(key);
      return index >= 0 ? { type: "label", index } : null;
    }
  }
}
