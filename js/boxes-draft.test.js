import { describe, expect, it } from "vitest";
import {
  acceptSuggestion,
  addBox,
  boxesValue,
  clearSelection,
  deleteBox,
  draftFor,
  duplicateSelected,
  newDraft,
  nudgeSelected,
  pendingSuggestions,
  pickBox,
  pickSuggestion,
  placeBox,
  rejectSuggestion,
  relabelSelected,
  toggleBox,
  undoBoxes,
} from "./boxes-draft.js";
import { lateSuggestion } from "./suggestion-draft.js";

const bounds = { min: 2, W: 100, H: 80 };
const item = (value, suggestion) => ({ key: "k", value, payload: suggestion === undefined ? {} : { suggestion } });

describe("newDraft", () => {
  it("starts from the stored boxes", () => {
    const d = newDraft(item([[1, 2, 30, 40, 1]]));
    expect(d.boxes).toEqual([{ r: [1, 2, 30, 40], label: 1, hidden: false, locked: false }]);
    expect(d.suggestions).toEqual([]);
    expect(d.selected).toBe(-1);
  });

  it("shows suggestions only on an item without a value", () => {
    expect(newDraft(item(null, [[5, 5, 10, 10, 0]])).suggestions).toEqual([{ r: [5, 5, 10, 10], label: 0, state: "pending" }]);
    expect(newDraft(item([], [[5, 5, 10, 10, 0]])).suggestions).toEqual([]);
  });

  it("is kept per item and started anew for another one", () => {
    const st = { draft: null };
    const d = draftFor(st, item(null));
    expect(draftFor(st, item(null))).toBe(d);
    expect(draftFor(st, { ...item(null), key: "other" })).not.toBe(d);
  });
});

describe("adding and editing boxes", () => {
  it("adds a box clamped to the image, rounded to 1/100 px, and selects it", () => {
    const d = newDraft(item(null));
    expect(addBox(d, [90.456, 70.2, 30, 30], 1, bounds)).toBe(true);
    expect(d.boxes).toEqual([{ r: [90.46, 70.2, 9.54, 9.8], label: 1, hidden: false, locked: false }]);
    expect(d.selected).toBe(0);
    expect(boxesValue(d)).toEqual([[90.46, 70.2, 9.54, 9.8, 1]]);
  });

  it("keeps no box under the minimum side and says so", () => {
    const d = newDraft(item(null));
    expect(addBox(d, [10, 10, 1, 50], 0, bounds)).toBe(false);
    expect(d.boxes).toEqual([]);
    expect(d.notice).toBe("Boxes under 2 px are not kept.");
    expect(d.history).toEqual([]); // nothing to undo
  });

  it("places a moved or resized box unless it became too small", () => {
    const d = newDraft(item([[0, 0, 10, 10, 0]]));
    expect(placeBox(d, 0, [5.6789, 5.2, 10, 10], 2)).toBe(true);
    expect(d.boxes[0].r).toEqual([5.68, 5.2, 10, 10]);
    expect(placeBox(d, 0, [5, 5, 1, 10], 2)).toBe(false);
    expect(d.boxes[0].r).toEqual([5.68, 5.2, 10, 10]);
  });

  it("picks, relabels, toggles, nudges, duplicates and deletes", () => {
    const d = newDraft(item([[10, 10, 20, 20, 0]]));
    pickBox(d, 0);
    expect(d.selected).toBe(0);
    relabelSelected(d, 2);
    expect(d.boxes[0].label).toBe(2);
    nudgeSelected(d, -50, 5, 100, 80);
    expect(d.boxes[0].r).toEqual([0, 15, 20, 20]);
    duplicateSelected(d, 100, 80);
    expect(d.boxes[1]).toEqual({ r: [10, 25, 20, 20], label: 2, hidden: false, locked: false });
    expect(d.selected).toBe(1);
    toggleBox(d, 0, "hidden");
    expect(d.boxes[0].hidden).toBe(true);
    deleteBox(d, 1);
    expect(d.boxes).toHaveLength(1);
    expect(d.selected).toBe(-1);
    pickBox(d, 0);
    pickBox(d, 0);
    expect(d.selected).toBe(-1); // a second pick deselects
  });

  it("does not nudge a locked box", () => {
    const d = newDraft(item([[10, 10, 20, 20, 0]]));
    d.selected = 0;
    toggleBox(d, 0, "locked");
    const before = d.history.length;
    expect(nudgeSelected(d, 1, 1, 100, 80)).toBe(false);
    expect(d.boxes[0].r).toEqual([10, 10, 20, 20]);
    expect(d.history).toHaveLength(before);
  });
});

describe("undo and redo", () => {
  it("walks back and forth through box changes", () => {
    const d = newDraft(item(null));
    addBox(d, [0, 0, 10, 10], 0, bounds);
    addBox(d, [20, 20, 10, 10], 1, bounds);
    expect(undoBoxes(d)).toBe(true);
    expect(boxesValue(d)).toEqual([[0, 0, 10, 10, 0]]);
    expect(d.selected).toBe(-1);
    expect(undoBoxes(d, true)).toBe(true);
    expect(boxesValue(d)).toHaveLength(2);
    expect(undoBoxes(d, true)).toBe(false); // nothing to redo
    undoBoxes(d);
    undoBoxes(d);
    expect(undoBoxes(d)).toBe(false); // nothing left: the shell undoes the image
  });

  it("forgets what could be redone after a new change", () => {
    const d = newDraft(item(null));
    addBox(d, [0, 0, 10, 10], 0, bounds);
    undoBoxes(d);
    addBox(d, [30, 30, 10, 10], 0, bounds);
    expect(undoBoxes(d, true)).toBe(false);
  });

  it("keeps the last 200 changes", () => {
    const d = newDraft(item(null));
    for (let i = 0; i < 205; i++) addBox(d, [0, 0, 10, 10], 0, bounds);
    let undone = 0;
    while (undoBoxes(d)) undone += 1;
    expect(undone).toBe(200);
    expect(d.boxes).toHaveLength(5);
  });

  it("restores suggestions too", () => {
    const d = newDraft(item(null, [[5, 5, 10, 10, 1]]));
    pickSuggestion(d, 0);
    rejectSuggestion(d);
    expect(pendingSuggestions(d)).toBe(0);
    undoBoxes(d);
    expect(pendingSuggestions(d)).toBe(1);
  });
});

describe("suggestions", () => {
  it("accepts a picked suggestion with its own label or another", () => {
    const d = newDraft(item(null, [[5, 5, 10, 10, 1], [20, 20, 5, 5, 0]]));
    pickSuggestion(d, 0);
    expect(d.notice).toMatch(/^Suggested box: Enter accepts it/);
    acceptSuggestion(d, null);
    pickSuggestion(d, 1);
    acceptSuggestion(d, 2);
    expect(boxesValue(d)).toEqual([[5, 5, 10, 10, 1], [20, 20, 5, 5, 2]]);
    expect(d.suggestions.map((s) => s.state)).toEqual(["accepted", "accepted"]);
    expect(d.pickedSuggestion).toBe(null);
    expect(d.notice).toBe("");
  });

  it("Esc drops the selection, corner, notice and picked suggestion, and says whether it did", () => {
    const d = newDraft(item(null, [[5, 5, 10, 10, 1]]));
    expect(clearSelection(d)).toBe(false);
    pickSuggestion(d, 0);
    d.corner = [1, 1];
    expect(clearSelection(d)).toBe(true);
    expect([d.selected, d.corner, d.notice, d.pickedSuggestion]).toEqual([-1, null, "", null]);
  });
});

describe("a late suggestion", () => {
  it("starts an untouched draft again with the boxes suggested after it", () => {
    const state = {};
    const d = draftFor(state, item(null));
    expect(lateSuggestion(d, item(null, [[1, 2, 30, 40, 0]]))).toBe(true);
    expect(draftFor(state, item(null, [[1, 2, 30, 40, 0]])).suggestions).toHaveLength(1);
    expect(lateSuggestion(newDraft(item([[1, 2, 30, 40, 0]])), item([[1, 2, 30, 40, 0]], [[5, 5, 9, 9, 0]]))).toBe(false);
  });
});
