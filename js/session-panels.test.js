import { describe, expect, it } from "vitest";
import { formatSeconds, sessionLine } from "./session-panels.js";

describe("sessionLine", () => {
  it("is empty without a session", () => {
    expect(sessionLine(undefined)).toBe("");
    expect(sessionLine({})).toBe("");
  });
  it("joins the gate message, a notice and the learner score", () => {
    expect(
      sessionLine({ message: "Calibration: label these 5 items first.", notice: "New guidelines", score: { right: 3, answered: 4 } }),
    ).toBe("Calibration: label these 5 items first. · New guidelines · Score: 3 / 4 right");
  });
  it("shows the score from the first answer on", () => {
    expect(sessionLine({ score: { right: 0, answered: 0 } })).toBe("");
    expect(sessionLine({ score: { right: 0, answered: 1 } })).toBe("Score: 0 / 1 right");
  });
});

describe("formatSeconds", () => {
  it("shows tenths of a second, or a dash when unknown", () => {
    expect(formatSeconds(1234)).toBe("1.2 s");
    expect(formatSeconds(null)).toBe("—");
    expect(formatSeconds(undefined)).toBe("—");
  });
});
