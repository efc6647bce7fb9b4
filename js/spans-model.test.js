import { describe, expect, it } from "vitest";
import { addSpan, confirmStep, graphemeBoundaries, isAligned, levels, segments, snapToCharacters, snapToTokens, spanAt, tokenAfter } from "./spans-model.js";

// "Barack Obama visited Paris ." tokens
const TEXT = "Barack Obama visited Paris .";
const TOKENS = [0, 6, 7, 12, 13, 20, 21, 26, 27, 28];

describe("tokenAfter", () => {
  it("finds the first token ending after an offset", () => {
    expect(tokenAfter(TOKENS, 0)).toBe(0);
    expect(tokenAfter(TOKENS, 6)).toBe(1);
    expect(tokenAfter(TOKENS, 9)).toBe(1);
    expect(tokenAfter(TOKENS, 28)).toBe(5);
  });
});

describe("snapToTokens", () => {
  it("grows a partial selection to whole words", () => {
    expect(snapToTokens(TOKENS, 2, 9)).toEqual([0, 12]);
    expect(snapToTokens(TOKENS, 9, 2)).toEqual([0, 12]); // backwards selection
  });
  it("keeps an exact token selection and drops surrounding spaces", () => {
    expect(snapToTokens(TOKENS, 7, 12)).toEqual([7, 12]);
    expect(snapToTokens(TOKENS, 6, 13)).toEqual([7, 12]);
  });
  it("returns null for whitespace only", () => {
    expect(snapToTokens(TOKENS, 6, 7)).toBeNull();
    expect(snapToTokens(TOKENS, 28, 28)).toBeNull();
  });
  it("snaps a caret inside a word to that word", () => {
    expect(snapToTokens(TOKENS, 9, 9)).toEqual([7, 12]);
  });
  it("handles an empty token list", () => expect(snapToTokens([], 0, 3)).toBeNull());
});

describe("graphemes", () => {
  const text = "a👍🏽b👩‍👩‍👧c";
  it("never splits an emoji with a skin tone or a ZWJ sequence", () => {
    const bounds = graphemeBoundaries(text);
    expect(bounds).toEqual([0, 1, 5, 6, 14, 15]);
    expect(snapToCharacters(text, bounds, 2, 3)).toEqual([1, 5]);
    expect(snapToCharacters(text, bounds, 7, 9)).toEqual([6, 14]);
  });
  it("trims whitespace and gives null for blank selections", () => {
    const t = "  ab  ";
    const bounds = graphemeBoundaries(t);
    expect(snapToCharacters(t, bounds, 0, 6)).toEqual([2, 4]);
    expect(snapToCharacters(t, bounds, 0, 2)).toBeNull();
  });
  it("keeps a combining mark with its letter", () => {
    const t = "cafe\u0301!";
    expect(snapToCharacters(t, graphemeBoundaries(t), 3, 4)).toEqual([3, 5]);
  });
});

describe("isAligned", () => {
  it("tells token-aligned spans", () => {
    expect(isAligned(TOKENS, 0, 12)).toBe(true);
    expect(isAligned(TOKENS, 1, 12)).toBe(false);
    expect(isAligned(TOKENS, 0, 11)).toBe(false);
  });
});

describe("addSpan", () => {
  it("replaces what a new span overlaps unless overlap is allowed", () => {
    const spans = [[0, 6, 0], [7, 12, 0]];
    const r = addSpan(spans, [0, 12, 1], false);
    expect(r.spans).toEqual([[0, 12, 1]]);
    expect(r.replaced).toEqual(spans);
    const o = addSpan(spans, [0, 12, 1], true);
    expect(o.spans).toEqual([[0, 6, 0], [0, 12, 1], [7, 12, 0]]);
    expect(o.replaced).toEqual([]);
  });
  it("does not add the same span twice and keeps order", () => {
    const r = addSpan([[7, 12, 0]], [7, 12, 0], false);
    expect(r.added).toBe(false);
    expect(addSpan([[7, 12, 0]], [0, 6, 2], false).spans).toEqual([[0, 6, 2], [7, 12, 0]]);
  });
  it("never mutates its input", () => {
    const spans = [[0, 6, 0]];
    addSpan(spans, [0, 6, 1], false);
    expect(spans).toEqual([[0, 6, 0]]);
  });
});

describe("levels", () => {
  it("stacks nested and crossing spans on different lines, outer ones higher", () => {
    const spans = [[0, 12, 0], [0, 6, 1], [7, 12, 2], [10, 20, 3]];
    const l = levels(spans);
    expect(l[1]).toBe(l[2]); // disjoint inner spans share a line
    expect(l[0]).toBeGreaterThan(l[1]);
    expect(l[3]).not.toBe(l[2]); // crossing spans do not share a line
  });
  it("puts disjoint spans on one line", () => expect(levels([[0, 1, 0], [2, 3, 0]])).toEqual([0, 0]));
});

describe("segments", () => {
  it("splits at every boundary and lists the covering spans", () => {
    const segs = segments(10, [[2, 6, 0], [4, 8, 1]]);
    expect(segs.map((s) => [s.start, s.end, s.covers])).toEqual([
      [0, 2, []],
      [2, 4, [0]],
      [4, 6, [0, 1]],
      [6, 8, [1]],
      [8, 10, []],
    ]);
  });
  it("covers an empty text and a text without spans", () => {
    expect(segments(0, [])).toEqual([]);
    expect(segments(5, [])).toEqual([{ start: 0, end: 5, covers: [] }]);
  });
});

describe("spanAt", () => {
  it("finds the innermost span under an offset", () => {
    const spans = [[0, 12, 0], [7, 12, 1]];
    expect(spanAt(spans, 8)).toBe(1);
    expect(spanAt(spans, 2)).toBe(0);
    expect(spanAt(spans, 12)).toBe(-1);
  });
});

describe("text fixture", () => {
  it("matches its tokens", () => {
    const words = [];
    for (let i = 0; i < TOKENS.length; i += 2) words.push(TEXT.slice(TOKENS[i], TOKENS[i + 1]));
    expect(words).toEqual(["Barack", "Obama", "visited", "Paris", "."]);
  });
});

import { bucketByChunk, chunkBounds } from "./spans-model.js";

describe("chunks", () => {
  it("splits after each newline and covers the text", () => {
    expect(chunkBounds("ab\ncd\n\nef")).toEqual([[0, 3], [3, 6], [6, 7], [7, 9]]);
    expect(chunkBounds("abc")).toEqual([[0, 3]]);
    expect(chunkBounds("abc\n")).toEqual([[0, 4]]);
    expect(chunkBounds("")).toEqual([[0, 0]]);
  });
  it("puts a range in every chunk it overlaps", () => {
    const chunks = chunkBounds("ab\ncd\n\nef");
    expect(bucketByChunk(chunks, [[0, 2], [1, 4], [7, 9], [3, 3]])).toEqual([[0, 1], [1], [], [2]]);
  });
});

describe("confirmStep", () => {
  const base = { spans: 0, labeled: false, edited: false, unread: false, asked: false };
  it("confirms an item with spans at once", () => {
    expect(confirmStep({ ...base, spans: 2 })).toBe("confirm");
    expect(confirmStep({ ...base, spans: 1, unread: true })).toBe("confirm");
  });
  it("asks before storing no spans on an untouched item, and confirms on the second Enter", () => {
    expect(confirmStep(base)).toBe("ask");
    expect(confirmStep({ ...base, asked: true })).toBe("confirm");
  });
  it("confirms an empty list the annotator made or kept", () => {
    expect(confirmStep({ ...base, edited: true })).toBe("confirm"); // spans added, then removed
    expect(confirmStep({ ...base, labeled: true })).toBe("confirm"); // stored as "no spans" before
  });
  it("asks after a selection that could not be read, even on an edited item", () => {
    expect(confirmStep({ ...base, unread: true, edited: true, labeled: true })).toBe("ask");
    expect(confirmStep({ ...base, unread: true, asked: true })).toBe("confirm");
  });
});
