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
