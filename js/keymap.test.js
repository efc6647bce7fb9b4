import { describe, expect, it } from "vitest";
import {
  COMMAND_LETTERS,
  LABEL_KEYS,
  actionFor,
  classifyHelpRows,
  hotkeyed,
  labelHotkeys,
  needsSearch,
  shouldIsolate,
} from "./keymap.js";

const key = (k, mods = {}) => ({ key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods });

describe("labelHotkeys", () => {
  it("numbers 1-9 then 0", () => {
    expect(labelHotkeys(3)).toEqual(["1", "2", "3"]);
    expect(labelHotkeys(10)).toEqual(["1", "2", "3", "4", "5", "6", "7", "8", "9", "0"]);
    expect(labelHotkeys(0)).toEqual([]);
  });

  it("then letters, skipping the command letters", () => {
    const keys = labelHotkeys(30);
    expect(keys.slice(10)).toEqual([..."abcdehilmnopqrtvwxyz"]);
    for (const letter of COMMAND_LETTERS) expect(keys).not.toContain(letter);
    expect(new Set(keys).size).toBe(30);
  });

  it("runs out with null rather than reusing a key", () => {
    const keys = labelHotkeys(33);
    expect(keys.slice(30)).toEqual([null, null, null]);
  });

  it("never gives a label a key that means a command", () => {
    for (const k of labelHotkeys(30)) {
      const action = actionFor(key(k), labelHotkeys(30));
      expect(action.type).toBe("label");
    }
  });
});

describe("actionFor", () => {
  const hotkeys = labelHotkeys(12);

  it("maps hotkeys to label indices", () => {
    expect(actionFor(key("1"), hotkeys)).toEqual({ type: "label", index: 0 });
    expect(actionFor(key("9"), hotkeys)).toEqual({ type: "label", index: 8 });
    expect(actionFor(key("0"), hotkeys)).toEqual({ type: "label", index: 9 });
    expect(actionFor(key("a"), hotkeys)).toEqual({ type: "label", index: 10 });
    expect(actionFor(key("b"), hotkeys)).toEqual({ type: "label", index: 11 });
    expect(actionFor(key("c"), hotkeys)).toBeNull(); // only 12 labels
    expect(actionFor(key("4"), labelHotkeys(3))).toBeNull();
  });

  it("maps command keys", () => {
    const cases = {
      ArrowRight: "next", ArrowDown: "next", j: "next",
      ArrowLeft: "prev", ArrowUp: "prev", k: "prev",
      Enter: "confirm", Backspace: "undo", u: "undo", s: "skip", f: "flag",
      g: "guidelines", "?": "help", Escape: "escape",
    };
    for (const [k, type] of Object.entries(cases)) expect(actionFor(key(k), hotkeys)).toEqual({ type });
  });

  it("ignores keys with ctrl, meta or alt (browser and JupyterLab shortcuts)", () => {
    for (const mod of ["ctrlKey", "metaKey", "altKey"]) {
      for (const k of ["1", "a", "s", "u", "ArrowRight", "Enter", "Backspace"]) {
        expect(actionFor(key(k, { [mod]: true }), hotkeys)).toBeNull();
      }
    }
  });

  it("treats shifted or caps-locked letters like lower case", () => {
    expect(actionFor(key("A", { shiftKey: true }), hotkeys)).toEqual({ type: "label", index: 10 });
    expect(actionFor(key("S"), hotkeys)).toEqual({ type: "skip" });
    expect(actionFor(key("U"), hotkeys)).toEqual({ type: "undo" });
    expect(actionFor(key("J"), hotkeys)).toEqual({ type: "next" });
  });

  it("ignores other keys", () => {
    for (const k of ["Tab", "Shift", "Control", " ", "F5", "!", "Home", "x"]) {
      expect(actionFor(key(k), hotkeys)).toBeNull();
    }
  });
});

describe("shouldIsolate", () => {
  it("keeps plain keys from JupyterLab, lets shortcuts through", () => {
    expect(shouldIsolate(key("1"))).toBe(true);
    expect(shouldIsolate(key("A", { shiftKey: true }))).toBe(true);
    expect(shouldIsolate(key("Escape"))).toBe(true);
    expect(shouldIsolate(key("s", { ctrlKey: true }))).toBe(false);
    expect(shouldIsolate(key("Enter", { shiftKey: true, metaKey: true }))).toBe(false);
    expect(shouldIsolate(key("b", { altKey: true }))).toBe(false);
  });
});

describe("large label sets", () => {
  it("opens the label search with /", () => {
    expect(actionFor(key("/"), labelHotkeys(3))).toEqual({ type: "search" });
    expect(actionFor(key("/", { ctrlKey: true }), labelHotkeys(3))).toBeNull();
  });

  it("needs the search only when some label has no hotkey", () => {
    expect(LABEL_KEYS.length).toBe(30);
    expect(needsSearch(30)).toBe(false);
    expect(needsSearch(31)).toBe(true);
    expect(labelHotkeys(31)[30]).toBeNull();
  });

  it("lists the hotkeyed labels without walking a 100,000-label key list", () => {
    expect(hotkeyed(labelHotkeys(3))).toEqual([0, 1, 2]);
    expect(hotkeyed(labelHotkeys(100_000))).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it("shows / in the help only when there is a search, and what Enter does", () => {
    const keysOf = (rows) => rows.map(([k]) => k);
    expect(keysOf(classifyHelpRows({ labels: ["a", "b"] }))).not.toContain("/");
    const single = classifyHelpRows({ labels: Array.from({ length: 40 }, (_, i) => `l${i}`) });
    expect(keysOf(single)).toContain("/");
    expect(single.find(([k]) => k === "/")[1]).toMatch(/Enter to choose/);
    const multi = classifyHelpRows({ labels: Array.from({ length: 40 }, (_, i) => `l${i}`), multi: true });
    expect(multi.find(([k]) => k === "/")[1]).toMatch(/add or remove/);
    expect(multi.find(([k]) => k === "Enter")[1]).toBe("confirm the chosen labels");
  });
});
