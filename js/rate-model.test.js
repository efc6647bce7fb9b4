import { describe, expect, it } from "vitest";
import { blockReason, moveActive, newRateDraft, rate, rateDraftFor, rateHelpRows, unrated } from "./rate-model.js";

const CRITERIA = ["fluency", "accuracy", "style"];

describe("the draft", () => {
  it("starts from the stored ratings, the first unrated criterion active", () => {
    expect(newRateDraft({ key: "a", value: null }, 3)).toEqual({ key: "a", ratings: [null, null, null], active: 0, reason: "" });
    expect(newRateDraft({ key: "a", value: [4, null, 2] }, 3).active).toBe(1);
    const full = newRateDraft({ key: "a", value: [4, 5, 2] }, 3);
    expect(full.ratings).toEqual([4, 5, 2]);
    expect(full.active).toBe(0);
    // anything but whole numbers in the stored list is not a rating
    expect(newRateDraft({ key: "a", value: ["4", 2.5, 3] }, 3).ratings).toEqual([null, null, 3]);
  });

  it("is kept while the item stays on screen and started anew for another", () => {
    const state = {};
    const d = rateDraftFor(state, { key: "a", value: null }, 2);
    rate(d, 3);
    expect(rateDraftFor(state, { key: "a", value: null }, 2)).toBe(d);
    expect(rateDraftFor(state, { key: "b", value: null }, 2).ratings).toEqual([null, null]);
  });
});

describe("rating and moving", () => {
  it("rates the active criterion and makes the next unrated one active", () => {
    const d = newRateDraft({ key: "a" }, 3);
    rate(d, 4);
    expect(d.ratings).toEqual([4, null, null]);
    expect(d.active).toBe(1);
    rate(d, 2, 2); // a click on the third row
    expect(d.active).toBe(1); // the second is still unrated
    rate(d, 5);
    expect(d.ratings).toEqual([4, 5, 2]);
    expect(d.active).toBe(1); // every criterion rated: the active one stays
    rate(d, 1, 0); // changing a rating clears the reason and keeps the row
    expect(d.ratings[0]).toBe(1);
    expect(d.active).toBe(0);
  });

  it("wraps to an unrated criterion before the active one", () => {
    const d = newRateDraft({ key: "a", value: [null, 3, null] }, 3);
    expect(d.active).toBe(0);
    rate(d, 2, 2);
    expect(d.active).toBe(0);
  });

  it("moves between criteria and stops at either end", () => {
    const d = newRateDraft({ key: "a" }, 3);
    expect(moveActive(d, -1)).toBe(false);
    expect(moveActive(d, 1)).toBe(true);
    expect(moveActive(d, 1)).toBe(true);
    expect(d.active).toBe(2);
    expect(moveActive(d, 1)).toBe(false);
    expect(d.active).toBe(2);
  });
});

describe("submitting", () => {
  it("names the criteria still unrated", () => {
    const d = newRateDraft({ key: "a" }, 3);
    rate(d, 4);
    expect(unrated(d, CRITERIA)).toEqual(["accuracy", "style"]);
    expect(blockReason(d, CRITERIA, [1, 2, 3, 4, 5])).toBe("Rate accuracy, style first (1–5; ↑ ↓ choose the criterion).");
    rate(d, 4);
    rate(d, 1);
    expect(blockReason(d, CRITERIA, [1, 2, 3, 4, 5])).toBe("");
  });
});

describe("help", () => {
  it("names the keys of the scale", () => {
    expect(rateHelpRows({ points: [1, 2, 3, 4, 5], criteria: [] })[0]).toEqual(["1–5", "rate and move on"]);
    const ten = rateHelpRows({ points: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], criteria: ["x"] });
    expect(ten[0][0]).toBe("1–0");
    expect(ten.map((r) => r[0])).toContain("↑ ↓ / Tab");
  });
});
