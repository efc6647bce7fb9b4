import { describe, expect, it } from "vitest";
import { diffSegments, diffSummary, MAX_DIFF_CHARS } from "./text-diff.js";
import { blockReason, codePoints, Edits, editorKey, isolatedInEditor, lengthLine, rootKey, startText, stripPy, textLength } from "./text-model.js";

const key = (k, mods = {}) => ({ key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods });

describe("lengths as the kernel counts them", () => {
  it("strips what Python's str.strip strips, and only that", () => {
    expect(stripPy(" \t\n\x1c\x1f\x85\xa0\u2003 hi \u3000\u2029")).toBe("hi");
    // U+FEFF is whitespace to JS's trim(), not to Python
    expect(stripPy("\ufeffhi\ufeff")).toBe("\ufeffhi\ufeff");
    expect("\ufeffhi".trim()).toBe("hi");
    expect(stripPy("a  b")).toBe("a  b");
  });

  it("counts code points, not UTF-16 units", () => {
    expect(codePoints("😀")).toBe(1);
    expect("😀".length).toBe(2);
    expect(codePoints("e\u0301")).toBe(2); // a combining mark is a code point of its own
    expect(codePoints("東京👩‍💻")).toBe(5); // ZWJ sequence: three emoji code points and the joiner
    expect(codePoints("\ud800x")).toBe(2); // a lone surrogate counts once
    expect(textLength("  😀 ok \n")).toBe(4);
  });
});

describe("what blocks a submission", () => {
  it("an empty text, and the bounds with how far off", () => {
    expect(blockReason("   \n", {})).toMatch(/empty/);
    expect(blockReason("hello", { min_length: 10 })).toBe("Too short: 5 characters, at least 10 required (5 more).");
    expect(blockReason("😀😀😀", { max_length: 2 })).toBe("Too long: 3 characters, at most 2 allowed (1 over).");
    expect(blockReason(" hello ", { min_length: 5, max_length: 5 })).toBe("");
    expect(blockReason("x", { min_length: null, max_length: null })).toBe("");
  });

  it("the length line names the bounds", () => {
    expect(lengthLine("abc", {})).toBe("3 characters");
    expect(lengthLine("a", { min_length: 2 })).toBe("1 character · at least 2");
    expect(lengthLine("abc", { max_length: 1200 })).toBe("3 characters · at most 1,200");
    expect(lengthLine("abc", { min_length: 2, max_length: 9 })).toBe("3 characters · 2–9 allowed");
  });
});

describe("the text an item starts from", () => {
  const item = (value, draft) => ({ key: "k", value, payload: draft === undefined ? {} : { draft } });
  it("an edit left on it, else its text, else its draft, else nothing", () => {
    const edits = new Edits();
    expect(startText(item(null, "the draft"), edits)).toBe("the draft");
    expect(startText(item("submitted", "the draft"), edits)).toBe("submitted");
    expect(startText(item(null), edits)).toBe("");
    expect(startText(item(null, null), edits)).toBe("");
    edits.set("k", "half typed");
    expect(startText(item("submitted", "the draft"), edits)).toBe("half typed");
    edits.set("k", "");
    expect(startText(item("submitted", "the draft"), edits)).toBe(""); // everything deleted is an edit too
  });

  it("keeps the most recent edits only", () => {
    const edits = new Edits(3);
    for (const k of ["a", "b", "c", "d"]) edits.set(k, k);
    edits.set("b", "B"); // touched again: the most recent
    edits.set("e", "e");
    expect(edits.size).toBe(3);
    expect([edits.get("a"), edits.get("c"), edits.get("b"), edits.get("d"), edits.get("e")]).toEqual([undefined, undefined, "B", "d", "e"]);
  });
});

describe("keys", () => {
  it("in the text area: Ctrl/Cmd+Enter submits, Esc leaves, the rest types", () => {
    expect(editorKey(key("Enter", { ctrlKey: true }))).toBe("submit");
    expect(editorKey(key("Enter", { metaKey: true }))).toBe("submit");
    expect(editorKey(key("Enter"))).toBe(null); // a new line
    expect(editorKey(key("Enter", { shiftKey: true }))).toBe(null);
    expect(editorKey(key("Enter", { ctrlKey: true, altKey: true }))).toBe(null);
    expect(editorKey(key("Escape"))).toBe("leave");
    expect(editorKey(key("j"))).toBe(null);
    expect(editorKey(key("s"))).toBe(null);
  });

  it("the text area keeps typing and editing shortcuts from JupyterLab, not save", () => {
    for (const k of ["a", "j", "1", "Enter", " ", "Escape", "ArrowDown", "Backspace"]) expect(isolatedInEditor(key(k))).toBe(true);
    expect(isolatedInEditor(key("é", { altKey: true }))).toBe(true); // Option+e on a Mac types
    expect(isolatedInEditor(key("A", { shiftKey: true }))).toBe(true);
    for (const k of ["a", "c", "v", "x", "z", "Z", "y", "Enter", "ArrowLeft", "Backspace", "Home"]) {
      expect(isolatedInEditor(key(k, { ctrlKey: true }))).toBe(true);
      expect(isolatedInEditor(key(k, { metaKey: true }))).toBe(true);
    }
    expect(isolatedInEditor(key("s", { ctrlKey: true }))).toBe(false);
    expect(isolatedInEditor(key("C", { ctrlKey: true, shiftKey: true }))).toBe(true); // (copy in terminals)
    expect(isolatedInEditor(key("b", { metaKey: true }))).toBe(false);
  });

  it("outside the text area: Ctrl+Enter submits; Enter, e and i go in; the rest is the keymap's", () => {
    expect(rootKey(key("Enter", { ctrlKey: true }))).toBe("submit");
    expect(rootKey(key("Enter", { metaKey: true }))).toBe("submit");
    for (const k of ["Enter", "e", "i", "E", "I"]) expect(rootKey(key(k))).toBe("edit");
    for (const k of ["j", "k", "u", "s", "f", "g", "?", "Escape", "ArrowLeft"]) expect(rootKey(key(k))).toBe(null);
    expect(rootKey(key("e", { ctrlKey: true }))).toBe(null);
    expect(rootKey(key("Enter", { shiftKey: true }))).toBe(null);
  });
});

describe("the diff against the draft", () => {
  it("marks the words added and removed, as text", () => {
    const d = diffSegments("The cat sat on the mat.", "The cat sat on a <b>mat</b>.");
    expect(d.changed).toBe(true);
    expect(d.segments.map((s) => s.text).join("")).not.toBe(""); // both texts are in the segments
    const added = d.segments.filter((s) => s.type === "added").map((s) => s.text).join("|");
    const removed = d.segments.filter((s) => s.type === "removed").map((s) => s.text).join("|");
    expect(added).toContain("<b>");
    expect(removed).toContain("the");
    // the draft is the same and removed segments; the text the same and added ones
    expect(d.segments.filter((s) => s.type !== "added").map((s) => s.text).join("")).toBe("The cat sat on the mat.");
    expect(d.segments.filter((s) => s.type !== "removed").map((s) => s.text).join("")).toBe("The cat sat on a <b>mat</b>.");
    expect(diffSummary(d)).toMatch(/^\+\d+ words? · −\d+ words?$/);
  });

  it("says when nothing changed, and gives up on huge texts", () => {
    expect(diffSegments("same", "same")).toEqual({ segments: [{ type: "same", text: "same" }], added: 0, removed: 0, changed: false });
    expect(diffSummary(diffSegments("same", "same"))).toBe("none");
    expect(diffSummary(diffSegments("a  b", "a b"))).toBe("whitespace only");
    expect(diffSegments("x".repeat(MAX_DIFF_CHARS), "y")).toEqual({ tooLarge: true });
    expect(diffSummary({ tooLarge: true })).toMatch(/too long/);
    expect(diffSummary(diffSegments("", "new words here"))).toBe("+3 words");
  });
});

describe("the dashboard's strip of a text task", () => {
  it("one row against similarity bands, captioned by the share identical", async () => {
    const { confusionCaption, rowCategories } = await import("./dashboard-confusion.js");
    const strip = {
      categories: ["identical", "≥ 0.9", "0.7 – 0.9", "0.5 – 0.7", "< 0.5"],
      row_categories: ["items written by both"],
      counts: [[3, 4, 2, 0, 1]],
      total: 10,
      agree: 3,
      unit: "texts",
    };
    expect(rowCategories(strip)).toEqual(["items written by both"]);
    expect(confusionCaption(strip)).toBe(
      "10 items written by both, by how alike their texts are (normalised edit distance) · 30% identical. Click a band to list its items.",
    );
    const square = { categories: ["a", "b"], counts: [[1, 0], [0, 1]], total: 2, agree: 2 };
    expect(rowCategories(square)).toEqual(["a", "b"]);
  });
});
