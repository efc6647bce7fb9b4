import { describe, expect, it } from "vitest";
import { ago, formatInterval, formatShare, formatValue, inkFor, intensities, SCALE, shade, shares } from "./heatmap.js";

describe("shade", () => {
  it("maps the ends of [0, 1] to the ends of the scale", () => {
    expect(shade(0)).toBe("rgb(239, 246, 252)");
    expect(shade(1)).toBe("rgb(8, 60, 125)");
  });
  it("clamps and treats NaN as 0", () => {
    expect(shade(-3)).toBe(shade(0));
    expect(shade(7)).toBe(shade(1));
    expect(shade(NaN)).toBe(shade(0));
  });
  it("is monotone in darkness", () => {
    const lum = (c) => c.match(/\d+/g).map(Number).reduce((s, v) => s + v, 0);
    let last = Infinity;
    for (let t = 0; t <= 1.0001; t += 0.05) {
      const l = lum(shade(t));
      expect(l).toBeLessThanOrEqual(last);
      last = l;
    }
  });
  it("has nine stops", () => expect(SCALE).toHaveLength(9));
});

describe("inkFor", () => {
  it("puts dark text on light cells and white text on dark ones", () => {
    expect(inkFor(shade(0))).toBe("#1f2328");
    expect(inkFor(shade(1))).toBe("#ffffff");
  });
});

describe("shares", () => {
  const counts = [
    [3, 1],
    [0, 0],
  ];
  it("is null without normalisation", () => expect(shares(counts, "none")).toBeNull());
  it("divides by the row total, NaN for an empty row", () => {
    const s = shares(counts, "row");
    expect(s[0]).toEqual([0.75, 0.25]);
    expect(Number.isNaN(s[1][0])).toBe(true);
  });
  it("divides by the column total", () => expect(shares(counts, "column")[0]).toEqual([1, 1]));
  it("divides by the grand total", () => expect(shares(counts, "all")[0]).toEqual([0.75, 0.25]));
});

describe("intensities", () => {
  it("scales counts by the largest count", () => expect(intensities([[2, 4]], null)).toEqual([[0.5, 1]]));
  it("uses shares when given, NaN as 0", () => expect(intensities([[0, 0]], [[NaN, 0.5]])).toEqual([[0, 0.5]]));
  it("never divides by zero", () => expect(intensities([[0]], null)).toEqual([[0]]));
});

describe("formatting", () => {
  it("formats values with a true minus sign and a dash when undefined", () => {
    expect(formatValue(0.12345)).toBe("0.123");
    expect(formatValue(-0.5)).toBe("−0.500");
    expect(formatValue(-0.0001)).toBe("0.000");
    expect(formatValue(null)).toBe("—");
    expect(formatValue(NaN)).toBe("—");
  });
  it("formats intervals", () => {
    expect(formatInterval([0.1, 0.234])).toBe("[0.10, 0.23]");
    expect(formatInterval([null, 0.2])).toBe("");
    expect(formatInterval(undefined)).toBe("");
  });
  it("formats shares", () => {
    expect(formatShare(0.426)).toBe("43%");
    expect(formatShare(NaN)).toBe("");
  });
  it("says how long ago", () => {
    const now = 1_000_000_000;
    expect(ago(now / 1000, now)).toBe("just now");
    expect(ago(now / 1000 - 12, now)).toBe("12 s ago");
    expect(ago(now / 1000 - 180, now)).toBe("3 min ago");
    expect(ago(now / 1000 - 7300, now)).toBe("2 h ago");
    expect(ago(undefined, now)).toBe("");
  });
});
