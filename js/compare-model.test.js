import { describe, expect, it } from "vitest";
import { blockReason, choiceForKey, compareDraftFor, newCompareDraft, rubricKey, scoreRubric } from "./compare-model.js";

describe("choiceForKey", () => {
  it("reads digits from the physical key, so Shift+1 is still left", () => {
    expect(choiceForKey({ code: "Digit1", key: "!" })).toBe("left");
    expect(choiceForKey({ code: "Digit2", key: "2" })).toBe("right");
    expect(choiceForKey({ code: "Numpad3", key: "3" })).toBe("tie");
    expect(choiceForKey({ code: "Digit4", key: "$" })).toBe("both_bad");
  });
  it("maps the arrows and ignores other keys", () => {
    expect(choiceForKey({ code: "ArrowLeft", key: "ArrowLeft" })).toBe("left");
    expect(choiceForKey({ code: "ArrowRight", key: "ArrowRight" })).toBe("right");
    expect(choiceForKey({ code: "KeyJ", key: "j" })).toBeNull();
    expect(choiceForKey({ code: "Digit5", key: "5" })).toBeNull();
  });
});

describe("blockReason", () => {
  const config = { rubric: ["helpful", "safe"], require_justification: true, min_justification: 10 };
  it("asks for a choice first", () => {
    expect(blockReason({ choice: null, rubric: {}, justification: "" }, config)).toMatch(/^Choose first/);
  });
  it("names the rubric rows not fully scored", () => {
    const d = { choice: "left", rubric: { helpful: { left: 4, right: 2 }, safe: { left: 5 } }, justification: "" };
    expect(blockReason(d, config)).toBe("Score both responses on safe (press r, then 1–5).");
  });
  it("counts the justification without surrounding spaces", () => {
    const d = { choice: "tie", rubric: { helpful: { left: 1, right: 1 }, safe: { left: 1, right: 1 } }, justification: "  too short " };
    expect(blockReason(d, config)).toBe("A justification of at least 10 characters is required (9 so far; press j).");
    expect(blockReason({ ...d, justification: "long enough now" }, config)).toBe("");
  });
  it("lets anything through when nothing is required", () => {
    expect(blockReason({ choice: "both_bad", rubric: {}, justification: "" }, {})).toBe("");
  });
});

import { moveDown, moveUp, ranks, toggleTie } from "./compare-model.js";

describe("ranking", () => {
  const start = [[0], [1], [2]];
  it("moves a response up and down", () => {
    expect(moveUp(start, 2)).toEqual([[0], [2], [1]]);
    expect(moveUp(start, 0)).toEqual(start);
    expect(moveDown(start, 0)).toEqual([[1], [0], [2]]);
    expect(moveDown(start, 2)).toEqual(start);
  });
  it("ties with the group above and unties again", () => {
    const tied = toggleTie(start, 1);
    expect(tied).toEqual([[0, 1], [2]]);
    expect(toggleTie(tied, 1)).toEqual([[0], [1], [2]]);
    expect(toggleTie(start, 0)).toEqual(start); // nothing above the first
  });
  it("moving a tied response takes it out of its group first", () => {
    const tied = [[0, 1], [2]];
    expect(moveUp(tied, 1)).toEqual([[1], [0], [2]]);
    expect(moveDown(tied, 0)).toEqual([[1], [0], [2]]);
  });
  it("gives tied responses the same rank", () => {
    expect(Object.fromEntries(ranks([[2], [0, 1], [3]]))).toEqual({ 2: 1, 0: 2, 1: 2, 3: 4 });
  });
  it("never loses or duplicates a response", () => {
    let g = [[0], [1], [2], [3]];
    const ops = [moveUp, moveDown, toggleTie];
    for (let n = 0; n < 200; n++) {
      g = ops[n % 3](g, (n * 7) % 4);
      expect(g.flat().sort()).toEqual([0, 1, 2, 3]);
      expect(g.every((x) => x.length > 0)).toBe(true);
    }
  });
});

describe("the compare draft", () => {
  it("starts from the stored value, or empty", () => {
    const value = { choice: "left", strength: 2, rubric: { helpful: { left: 4, right: 2 } }, justification: "clearer" };
    const d = newCompareDraft({ key: "k", value });
    expect(d).toMatchObject({ key: "k", choice: "left", strength: 2, justification: "clearer", cursor: null, reason: "" });
    d.rubric.helpful.left = 1;
    expect(value.rubric.helpful.left).toBe(4); // a copy: editing never touches the stored value
    expect(newCompareDraft({ key: "k", value: null })).toMatchObject({ choice: null, strength: 1, rubric: {}, justification: "" });
  });

  it("is kept per item and started anew for another one", () => {
    const st = { draft: null };
    const d = compareDraftFor(st, { key: "a", value: null });
    expect(compareDraftFor(st, { key: "a", value: null })).toBe(d);
    expect(compareDraftFor(st, { key: "b", value: null })).not.toBe(d);
  });
});

describe("rubricKey", () => {
  const rubric = ["helpful", "safe"];
  const digit = (n) => ({ code: `Digit${n}`, key: String(n) });

  it("scores cell by cell: left, right, then the next row, and leaves after the last", () => {
    const d = newCompareDraft({ key: "k", value: null });
    d.cursor = { row: 0, side: "left" };
    d.reason = "Score both responses";
    for (const n of [4, 2, 5, 1]) expect(rubricKey(d, rubric, digit(n))).toBe(true);
    expect(d.rubric).toEqual({ helpful: { left: 4, right: 2 }, safe: { left: 5, right: 1 } });
    expect(d.cursor).toBe(null);
    expect(d.reason).toBe("");
  });

  it("moves with the arrows within the table and leaves with Esc", () => {
    const d = newCompareDraft({ key: "k", value: null });
    d.cursor = { row: 0, side: "left" };
    rubricKey(d, rubric, { code: "ArrowDown", key: "ArrowDown" });
    rubricKey(d, rubric, { code: "ArrowDown", key: "ArrowDown" });
    rubricKey(d, rubric, { code: "ArrowRight", key: "ArrowRight" });
    expect(d.cursor).toEqual({ row: 1, side: "right" });
    rubricKey(d, rubric, { code: "ArrowUp", key: "ArrowUp" });
    rubricKey(d, rubric, { code: "ArrowUp", key: "ArrowUp" });
    rubricKey(d, rubric, { code: "ArrowLeft", key: "ArrowLeft" });
    expect(d.cursor).toEqual({ row: 0, side: "left" });
    expect(rubricKey(d, rubric, { code: "Escape", key: "Escape" })).toBe(true);
    expect(d.cursor).toBe(null);
  });

  it("leaves other keys to the task (6 is no score)", () => {
    const d = newCompareDraft({ key: "k", value: null });
    d.cursor = { row: 0, side: "left" };
    expect(rubricKey(d, rubric, digit(6))).toBe(false);
    expect(rubricKey(d, rubric, { code: "KeyJ", key: "j" })).toBe(false);
    expect(d.rubric).toEqual({});
  });

  it("a click scores one cell and keeps the other side", () => {
    const d = newCompareDraft({ key: "k", value: { rubric: { safe: { left: 3 } } } });
    scoreRubric(d, "safe", "right", 5);
    expect(d.rubric.safe).toEqual({ left: 3, right: 5 });
  });
});
