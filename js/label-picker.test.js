import { describe, expect, it } from "vitest";
import { statusText } from "./label-picker.js";

describe("the picker's status line", () => {
  it("invites typing while the query is empty", () => {
    expect(statusText("  ", null, 100000)).toBe("100,000 labels: type to search");
  });

  it("says when nothing matches", () => {
    expect(statusText(" asthm ", { total: 0, indices: [] }, 10)).toBe("No label matches “asthm”");
  });

  it("counts the matches, and how many are shown when not all are", () => {
    expect(statusText("a", { total: 1, indices: [3] }, 10)).toBe("1 matching label");
    expect(statusText("a", { total: 2, indices: [3, 4] }, 10)).toBe("2 matching labels");
    expect(statusText("a", { total: 12345, indices: [1, 2, 3] }, 20000)).toBe("3 of 12,345 matching labels shown");
  });
});
