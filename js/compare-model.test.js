import { describe, expect, it } from "vitest";
import { blockReason, choiceForKey } from "./compare-model.js";

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
