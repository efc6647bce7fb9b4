// Property tests of span snapping and editing (fast-check): whatever the text and selection.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addSpan, chunkBounds, graphemeBoundaries, levels, segments, snapToCharacters, snapToTokens } from "./spans-model.js";

// text made of words, spaces, newlines, emoji (surrogate pairs, ZWJ sequences), RTL and CJK
const piece = fc.constantFrom("word", "Zoë", "e\u0301", "👍🏽", "👩‍👩‍👧", "מרכז", "東京", " ", "  ", "\n", "\t", ".", "3.14");
const text = fc.array(piece, { maxLength: 30 }).map((parts) => parts.join(""));

/** A simple whitespace tokenizer, as flat UTF-16 offsets. */
function tokensOf(t) {
  const out = [];
  for (const m of t.matchAll(/\S+/g)) out.push(m.index, m.index + m[0].length);
  return out;
}

const isBoundary = (t, i) => {
  const c = t.charCodeAt(i);
  return i === 0 || i === t.length || !(c >= 0xdc00 && c <= 0xdfff);
};

describe("snapping, for any text and selection", () => {
  it("token snapping returns whole tokens covering the selection, or null only on blanks", () => {
    fc.assert(
      fc.property(text, fc.nat(), fc.nat(), (t, a, b) => {
        const tokens = tokensOf(t);
        const s = a % (t.length + 1);
        const e = b % (t.length + 1);
        const snapped = snapToTokens(tokens, s, e);
        const [lo, hi] = s <= e ? [s, e] : [e, s];
        if (snapped === null) {
          expect(/\S/.test(t.slice(lo, hi)) && lo < hi).toBe(false);
          return;
        }
        const starts = new Set(tokens.filter((_, i) => i % 2 === 0));
        const ends = new Set(tokens.filter((_, i) => i % 2 === 1));
        expect(starts.has(snapped[0])).toBe(true);
        expect(ends.has(snapped[1])).toBe(true);
        expect(snapped[0]).toBeLessThan(snapped[1]);
        // every non-blank character selected is inside the snapped span
        for (let i = lo; i < hi; i++) if (/\S/.test(t[i])) expect(i >= snapped[0] && i < snapped[1]).toBe(true);
      }),
    );
  });

  it("character snapping never splits a character or a grapheme and trims blanks", () => {
    fc.assert(
      fc.property(text, fc.nat(), fc.nat(), (t, a, b) => {
        const bounds = graphemeBoundaries(t);
        const snapped = snapToCharacters(t, bounds, a % (t.length + 1), b % (t.length + 1));
        if (snapped === null) return;
        const [s, e] = snapped;
        expect(bounds).toContain(s);
        expect(bounds).toContain(e);
        expect(isBoundary(t, s) && isBoundary(t, e)).toBe(true);
        expect(/\s/.test(t[s])).toBe(false);
        expect(/\s/.test(t[e - 1])).toBe(false);
      }),
    );
  });
});

const span = fc.tuple(fc.nat(40), fc.integer({ min: 1, max: 10 }), fc.nat(3)).map(([s, w, l]) => [s, s + w, l]);

describe("editing, for any spans", () => {
  it("without overlap, spans stay disjoint, sorted, and the new one is kept", () => {
    fc.assert(
      fc.property(fc.array(span, { maxLength: 20 }), (adds) => {
        let spans = [];
        for (const x of adds) {
          spans = addSpan(spans, x, false).spans;
          expect(spans.some((y) => y[0] === x[0] && y[1] === x[1] && y[2] === x[2])).toBe(true);
        }
        for (let i = 1; i < spans.length; i++) expect(spans[i - 1][1]).toBeLessThanOrEqual(spans[i][0]);
      }),
    );
  });

  it("stacked levels never put two overlapping spans on one line", () => {
    fc.assert(
      fc.property(fc.array(span, { maxLength: 25 }), (spans) => {
        const l = levels(spans);
        for (let i = 0; i < spans.length; i++)
          for (let j = i + 1; j < spans.length; j++)
            if (spans[i][0] < spans[j][1] && spans[j][0] < spans[i][1]) expect(l[i]).not.toBe(l[j]);
      }),
    );
  });

  it("segments tile the text and list exactly the spans over them", () => {
    fc.assert(
      fc.property(fc.array(span, { maxLength: 15 }), (spans) => {
        const segs = segments(60, spans);
        let at = 0;
        for (const seg of segs) {
          expect(seg.start).toBe(at);
          at = seg.end;
          const over = spans.map((x, i) => [x, i]).filter(([x]) => x[0] < seg.end && seg.start < x[1]).map(([, i]) => i);
          expect(seg.covers).toEqual(over);
        }
        expect(at).toBe(60);
      }),
    );
  });

  it("paragraph chunks tile the text", () => {
    fc.assert(
      fc.property(text, (t) => {
        const chunks = chunkBounds(t);
        expect(chunks[0][0]).toBe(0);
        expect(chunks.at(-1)[1]).toBe(t.length);
        for (let i = 1; i < chunks.length; i++) expect(chunks[i][0]).toBe(chunks[i - 1][1]);
        expect(chunks.map(([s, e]) => t.slice(s, e)).join("")).toBe(t);
      }),
    );
  });
});
