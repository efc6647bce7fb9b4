import { describe, expect, it } from "vitest";
import { choiceName, confusionCaption } from "./dashboard-confusion.js";
import { labelsCaption } from "./dashboard-tables.js";

describe("confusionCaption", () => {
  const base = { categories: ["pos", "neg"], total: 1234, agree: 617, left_out: 0 };

  it("counts the items rated by both and the share on the diagonal", () => {
    expect(confusionCaption(base)).toBe("1,234 items rated by both · 50% on the diagonal. Click a cell to list its items.");
  });

  it("counts matched spans for a span task", () => {
    expect(confusionCaption({ ...base, unit: "spans", total: 10, agree: 7 })).toBe(
      "10 spans, matched by overlap (“(none)”: no counterpart) · 70% on the diagonal. Click a cell to list its items.",
    );
  });

  it("leaves the share out when nothing was rated by both", () => {
    expect(confusionCaption({ ...base, total: 0, agree: 0 })).toBe("0 items rated by both. Click a cell to list its items.");
  });

  it("says which categories a large label set shows and that the others are counted together", () => {
    const c = { categories: ["a", "b", "c", "(other)"], total: 100, agree: 40, left_out: 2500, occurring: 2503, category_kind: "labels" };
    expect(confusionCaption(c)).toBe(
      "100 items rated by both · 40% agree. Shown: the 3 most frequent of the 2,503 labels given; the other 2,500 are counted together in the last row and column. Click a cell to list its items.",
    );
  });
});

describe("labelsCaption", () => {
  it("is empty when every label is listed", () => {
    expect(labelsCaption(4, 4, 4)).toBe("");
    expect(labelsCaption(4, 3, 4)).toBe("");
  });

  it("says when only the labels in use are listed", () => {
    expect(labelsCaption(30, 30, 100000)).toBe("The 30 labels in use (100,000 labels in the task).");
  });

  it("says when only the most used of the labels in use are listed", () => {
    expect(labelsCaption(50, 1200, 100000)).toBe("The 50 most used of the 1,200 labels in use (100,000 labels in the task).");
  });
});

describe("choiceName", () => {
  it("names a picker's choice, or nothing", () => {
    const choices = [{ id: "a:ana", name: "ana" }, { id: "gold", name: "gold" }];
    expect(choiceName(choices, "gold")).toBe("gold");
    expect(choiceName(choices, "x")).toBe("");
    expect(choiceName(undefined, "x")).toBe("");
  });
});
