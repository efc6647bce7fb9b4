import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { boxAt, clampRect, fit, handleAt, handlePoint, HANDLES, moveRect, rectFrom, resizeRect, toImage, zoomAt } from "./boxes-geometry.js";

describe("rects", () => {
  it("spans two corners in any order", () => {
    expect(rectFrom([10, 20], [4, 2])).toEqual([4, 2, 6, 18]);
  });
  it("clamps to the image", () => {
    expect(clampRect([-5, 10, 20, 200], 100, 50)).toEqual([0, 10, 15, 40]);
  });
  it("moves without leaving the image", () => {
    expect(moveRect([10, 10, 20, 20], 100, -100, 50, 50)).toEqual([30, 0, 20, 20]);
  });
  it("resizes by any handle and re-normalises crossed edges", () => {
    expect(resizeRect([10, 10, 20, 20], "se", 5, 5)).toEqual([10, 10, 25, 25]);
    expect(resizeRect([10, 10, 20, 20], "w", 30, 0)).toEqual([30, 10, 10, 20]);
    expect(resizeRect([10, 10, 20, 20], "n", 0, -4)).toEqual([10, 6, 20, 24]);
  });
  it("finds handles and the smallest box under a point", () => {
    expect(handleAt([10, 10, 20, 20], [30.5, 20], 1)).toBe("e");
    expect(handleAt([10, 10, 20, 20], [20, 20], 1)).toBeNull();
    expect(boxAt([[0, 0, 100, 100], [10, 10, 5, 5]], [12, 12])).toBe(1);
    expect(boxAt([[0, 0, 100, 100]], [200, 12])).toBe(-1);
  });
});

describe("view transform", () => {
  it("fits and maps canvas points to image points", () => {
    const t = fit(1000, 500, 500, 500);
    expect(t.scale).toBe(0.5);
    expect(toImage(t, 250, 250)).toEqual([500, 250]);
  });
  it("zooming keeps the point under the cursor still", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.1, max: 4, noNaN: true }), fc.double({ min: 0, max: 800, noNaN: true }), fc.double({ min: 0, max: 600, noNaN: true }), (f, cx, cy) => {
        const t = { scale: 0.7, tx: 13, ty: -40 };
        const before = toImage(t, cx, cy);
        const after = toImage(zoomAt(t, f, cx, cy), cx, cy);
        expect(after[0]).toBeCloseTo(before[0], 6);
        expect(after[1]).toBeCloseTo(before[1], 6);
      }),
    );
  });
});

describe("properties", () => {
  const rect = fc.tuple(fc.double({ min: -50, max: 150, noNaN: true }), fc.double({ min: -50, max: 150, noNaN: true }), fc.double({ min: 0, max: 200, noNaN: true }), fc.double({ min: 0, max: 200, noNaN: true }));
  it("a clamped rect is inside the image", () => {
    fc.assert(
      fc.property(rect, ([x, y, w, h]) => {
        const [cx, cy, cw, ch] = clampRect([x, y, w, h], 100, 80);
        expect(cx >= 0 && cy >= 0 && cw >= 0 && ch >= 0).toBe(true);
        expect(cx + cw).toBeLessThanOrEqual(100 + 1e-9);
        expect(cy + ch).toBeLessThanOrEqual(80 + 1e-9);
      }),
    );
  });
  it("every handle of a rect is found at its own position", () => {
    fc.assert(
      fc.property(fc.tuple(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 20, max: 100 }), fc.integer({ min: 20, max: 100 })), (r) => {
        for (const handle of HANDLES) expect(handleAt(r, handlePoint(r, handle), 2)).toBe(handle);
      }),
    );
  });
});
