import { describe, expect, it } from "vitest";
import { aggregationCaption, goldText, recentText, sessionCaption } from "./dashboard-quality.js";

describe("goldText and recentText", () => {
  it("gives the share of first answers right and how many", () => {
    expect(goldText({ gold_answered: 12, gold_accuracy: 0.8333 })).toBe("83% of 12");
    expect(goldText({ gold_answered: 0, gold_accuracy: null })).toBe("—");
  });

  it("gives the rolling accuracy, marked when drifting, or nothing before a full window", () => {
    expect(recentText({ rolling_gold_accuracy: 0.6, drift: true })).toBe("60% · drift");
    expect(recentText({ rolling_gold_accuracy: 1, drift: false })).toBe("100%");
    expect(recentText({ rolling_gold_accuracy: null, drift: false })).toBe("—");
  });
});

describe("sessionCaption", () => {
  it("says what a session's agreement leaves out and how drift is read", () => {
    expect(sessionCaption({ gold_items: 6, left_out_events: 1234, gold_threshold: 0.9, drift_window: 10 })).toBe(
      "Agreement counts production items only: the 6 gold and calibration items (1,234 events) are left out. " +
        "Gold: first answers right. Last 10: the rolling accuracy of the last 10 gold answers; drift when it is under 90%.",
    );
  });

  it("is empty for a task that is not a session's", () => {
    expect(sessionCaption(undefined)).toBe("");
  });
});

describe("aggregationCaption", () => {
  it("counts the items a model and the majority label differently, the ties and the unsure labels", () => {
    const agg = { name: "Dawid–Skene", items: 10000, differ: 247, majority_ties: 31, unsure: 0 };
    expect(aggregationCaption(agg)).toBe("Dawid–Skene and the majority vote differ on 247 of 10,000 items · 31 majority ties.");
    expect(aggregationCaption({ ...agg, majority_ties: 0, unsure: 5 })).toBe(
      "Dawid–Skene and the majority vote differ on 247 of 10,000 items · 5 labels Dawid–Skene is unsure of (under 80%).",
    );
    expect(aggregationCaption(null)).toBe("");
  });
});
