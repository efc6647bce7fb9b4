import { describe, expect, it } from "vitest";
import { suggestionRows } from "./dashboard-suggestions.js";

describe("suggestionRows", () => {
  it("puts the annotator first and every cell as text", () => {
    const sugg = {
      columns: ["shown", "accepted"],
      rows: [
        ["<b>ana</b>", "3", "2 of 3 (67%)"],
        ["all", "7", null],
      ],
      caption: "",
    };
    expect(suggestionRows(sugg)).toEqual({
      head: ["annotator", "shown", "accepted"],
      body: [
        ["<b>ana</b>", "3", "2 of 3 (67%)"],
        ["all", "7", "–"],
      ],
    });
  });

  it("gives nothing without suggestions", () => {
    expect(suggestionRows(null)).toEqual({ head: [], body: [] });
    expect(suggestionRows({ columns: [], rows: [] })).toEqual({ head: [], body: [] });
  });
});
