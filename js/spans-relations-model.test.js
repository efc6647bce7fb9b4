import { describe, expect, it } from "vitest";
import {
  addRelation,
  arcGeometry,
  arcLevels,
  encodeValue,
  hotkeysWithout,
  MAX_LEVEL,
  pruneRelations,
  relationsOfValue,
  renameSpan,
  spanKey,
  spanKeyAt,
  spansOfValue,
  stepChild,
  stepRelation,
} from "./spans-relations-model.js";

const ADA = [0, 3, 0];
const ACME = [14, 18, 1];
const PARIS = [22, 27, 2];
const SPANS = [ADA, ACME, PARIS];
const rel = (h, c, label) => ({ head: spanKey(h), child: spanKey(c), label });

describe("values", () => {
  it("reads spans and relations of either value shape", () => {
    expect(spansOfValue([ADA])).toEqual([ADA]);
    expect(spansOfValue({ spans: [ADA], relations: [] })).toEqual([ADA]);
    expect(spansOfValue(null)).toBeNull();
    expect(spansOfValue(undefined)).toBeNull();
    expect(relationsOfValue([ADA, ACME])).toEqual([]);
    expect(relationsOfValue({ spans: SPANS, relations: [[0, 1, 1], [1, 2, 0], [0, 9, 0]] })).toEqual([
      rel(ADA, ACME, 1),
      rel(ACME, PARIS, 0),
    ]);
  });

  it("encodes relations by span index, sorted, without strays, self-links or repeats", () => {
    const relations = [rel(ACME, PARIS, 0), rel(ADA, ACME, 1), rel(ADA, ACME, 1), rel(ADA, [5, 6, 0], 0), rel(ADA, ADA, 0)];
    expect(encodeValue(SPANS, relations, true)).toEqual({ spans: SPANS, relations: [[0, 1, 1], [1, 2, 0]] });
    expect(encodeValue(SPANS, relations, false)).toEqual(SPANS);
    const value = encodeValue(SPANS, relations, true);
    expect(value.spans[0]).not.toBe(ADA); // copies
    // a round trip through the kernel's encoding gives the same relations back
    expect(relationsOfValue(value)).toEqual([rel(ADA, ACME, 1), rel(ACME, PARIS, 0)]);
  });

  it("indices follow the spans' order when a span is added before them", () => {
    const relations = [rel(ACME, PARIS, 0)];
    const spans = [[5, 9, 0], ...SPANS]; // a new span first
    expect(encodeValue(spans, relations, true).relations).toEqual([[2, 3, 0]]);
  });
});

describe("relations follow their spans", () => {
  it("drops relations whose span is gone", () => {
    const relations = [rel(ADA, ACME, 0), rel(ACME, PARIS, 1)];
    expect(pruneRelations([ADA, PARIS], relations)).toEqual([]);
    expect(pruneRelations([ADA, ACME], relations)).toEqual([rel(ADA, ACME, 0)]);
    expect(pruneRelations(SPANS, [])).toEqual([]);
  });

  it("moves relations to a relabeled span, dropping self-links and repeats", () => {
    const acmeLoc = [14, 18, 2];
    expect(renameSpan([rel(ADA, ACME, 0)], spanKey(ACME), spanKey(acmeLoc))).toEqual([rel(ADA, acmeLoc, 0)]);
    // ACME relabeled into a span that already has the same relation: one is kept
    expect(renameSpan([rel(ADA, ACME, 0), rel(ADA, acmeLoc, 0)], spanKey(ACME), spanKey(acmeLoc))).toEqual([rel(ADA, acmeLoc, 0)]);
    expect(renameSpan([rel(ACME, acmeLoc, 0)], spanKey(ACME), spanKey(acmeLoc))).toEqual([]);
  });

  it("refuses self-links and duplicates", () => {
    expect(addRelation([], spanKey(ADA), spanKey(ADA), 0)).toMatchObject({ added: false, reason: "self" });
    const once = addRelation([], spanKey(ADA), spanKey(ACME), 0);
    expect(once).toMatchObject({ added: true, relations: [rel(ADA, ACME, 0)] });
    expect(addRelation(once.relations, spanKey(ADA), spanKey(ACME), 0)).toMatchObject({ added: false, reason: "duplicate" });
    // the other way round, or another label: a different relation
    expect(addRelation(once.relations, spanKey(ACME), spanKey(ADA), 0).added).toBe(true);
    expect(addRelation(once.relations, spanKey(ADA), spanKey(ACME), 1).added).toBe(true);
  });
});

describe("choosing spans and relations", () => {
  it("the child starts after the head and cycles over the others", () => {
    const head = spanKey(ACME);
    expect(stepChild(SPANS, head, null, 1)).toBe(spanKey(PARIS));
    expect(stepChild(SPANS, head, spanKey(PARIS), 1)).toBe(spanKey(ADA));
    expect(stepChild(SPANS, head, spanKey(ADA), -1)).toBe(spanKey(PARIS));
    expect(stepChild(SPANS, spanKey(PARIS), null, 1)).toBe(spanKey(ADA)); // the last span: the first one
    expect(stepChild([ADA], spanKey(ADA), null, 1)).toBeNull();
  });

  it("finds the innermost span at an offset", () => {
    expect(spanKeyAt([[0, 20, 0], [5, 9, 1]], 6)).toBe("5:9:1");
    expect(spanKeyAt([[0, 20, 0], [5, 9, 1]], 12)).toBe("0:20:0");
    expect(spanKeyAt(SPANS, 10)).toBeNull();
  });

  it("steps through relations, cycling", () => {
    expect(stepRelation(0, null, 1)).toBeNull();
    expect(stepRelation(3, null, 1)).toBe(0);
    expect(stepRelation(3, null, -1)).toBe(2);
    expect(stepRelation(3, 2, 1)).toBe(0);
    expect(stepRelation(3, 0, -1)).toBe(2);
  });

  it("keeps r out of the span label keys", () => {
    const keys = hotkeysWithout(30, ["r"]);
    expect(keys.slice(0, 11)).toEqual(["1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "a"]);
    expect(keys).not.toContain("r");
    expect(keys.filter(Boolean).length).toBe(new Set(keys.filter(Boolean)).size);
  });
});

describe("arcs", () => {
  it("stacks overlapping arcs on a line, narrower lower; other lines apart", () => {
    const levels = arcLevels([
      { x1: 0, x2: 100, line: 1 },
      { x1: 10, x2: 40, line: 1 },
      { x1: 50, x2: 60, line: 1 },
      { x1: 200, x2: 260, line: 1 },
      { x1: 0, x2: 100, line: 2 },
    ]);
    expect(levels).toEqual([2, 1, 1, 1, 1]);
  });

  it("never goes above the top level", () => {
    const nested = Array.from({ length: 8 }, (_, i) => ({ x1: 50 - 5 * i, x2: 50 + 5 * i + 1, line: 0 }));
    expect(Math.max(...arcLevels(nested))).toBe(MAX_LEVEL);
  });

  it("draws a curve above both ends, the arrow into the child and the label at its top", () => {
    const g = arcGeometry(10, 50, 110, 50, 1);
    expect(g.path).toBe("M 10 50 C 10 37, 110 37, 110 50");
    expect(g.head).toBe("M 106 44 L 110 50 L 114 44");
    expect(g.labelX).toBe(60);
    expect(g.labelY).toBeCloseTo(50 - 13 * 0.75, 1);
    const higher = arcGeometry(10, 50, 110, 50, 2);
    expect(higher.labelY).toBeLessThan(g.labelY);
    // ends on two lines: the curve clears the upper one
    expect(arcGeometry(10, 80, 110, 50, 1).path).toContain("C 10 37, 110 37");
  });
});
