import { describe, expect, it } from "vitest";
import { SHOWN, createLabelSearch, fold, highlight, matchTier, queryTokens } from "./label-search.js";

const ICD = [
  "J45.0 Predominantly allergic asthma",
  "J45.9 Asthma, unspecified",
  "J45 Asthma",
  "A00.0 Cholera due to Vibrio cholerae 01, biovar cholerae",
  "J20.9 Acute bronchitis, unspecified",
  "Z99 Dependence on enabling machines",
  "asthma",
  "Status asthmaticus",
];

const names = (labels, result) => result.indices.map((i) => labels[i]);

describe("fold and queryTokens", () => {
  it("ignores case and accents", () => {
    expect(fold("Café CRÈME")).toBe("cafe creme");
    expect(fold("ASCII only")).toBe("ascii only");
    expect(queryTokens("  Acute   BRONCH ")).toEqual(["acute", "bronch"]);
    expect(queryTokens("   ")).toEqual([]);
  });
});

describe("matchTier", () => {
  const tier = (label, query) => {
    const tokens = queryTokens(query);
    return matchTier(fold(label), tokens, tokens.join(" "));
  };

  it("ranks the whole label, then a prefix, then word starts, then inside words", () => {
    expect(tier("Asthma", "asthma")).toBe(0);
    expect(tier("J45 Asthma", "j45")).toBe(1);
    expect(tier("J45.9 Asthma, unspecified", "asthma unsp")).toBe(2);
    expect(tier("Status asthmaticus", "maticus")).toBe(3);
    expect(tier("J45 Asthma", "bronch")).toBe(-1);
  });

  it("needs every word of the query, in any order", () => {
    expect(tier("J20.9 Acute bronchitis, unspecified", "bronch acute")).toBe(2);
    expect(tier("J20.9 Acute bronchitis, unspecified", "bronch chronic")).toBe(-1);
  });
});

describe("createLabelSearch", () => {
  it("ranks matches: exact, prefix, word start, inside; shorter first, then label order", () => {
    const s = createLabelSearch(ICD);
    expect(names(ICD, s.search("asthma"))).toEqual([
      "asthma", // the whole label
      "J45 Asthma", // word starts, shortest first
      "Status asthmaticus",
      "J45.9 Asthma, unspecified",
      "J45.0 Predominantly allergic asthma",
    ]);
    expect(s.search("asthma").total).toBe(5);
    expect(names(ICD, s.search("J45"))).toEqual(["J45 Asthma", "J45.9 Asthma, unspecified", "J45.0 Predominantly allergic asthma"]);
  });

  it("is case- and accent-insensitive and needs every word", () => {
    const labels = ["Crème brûlée", "Creme caramel", "Brulee torch"];
    const s = createLabelSearch(labels);
    expect(names(labels, s.search("CREME"))).toEqual(["Crème brûlée", "Creme caramel"]); // both start so: shorter first
    expect(names(labels, s.search("brûlée crè"))).toEqual(["Crème brûlée"]);
    expect(s.search("cremes").total).toBe(0);
    expect(s.search("cremes").indices).toEqual([]);
  });

  it("with no query lists the first labels in order and counts them all", () => {
    const s = createLabelSearch(ICD);
    const r = s.search("  ", 3);
    expect(r.indices).toEqual([0, 1, 2]);
    expect(r.total).toBe(ICD.length);
  });

  it("returns at most `limit` of many matches, and counts them all", () => {
    const labels = Array.from({ length: 5000 }, (_, i) => `code ${String(i).padStart(4, "0")}`);
    const s = createLabelSearch(labels);
    const r = s.search("code");
    expect(r.indices.length).toBe(SHOWN);
    expect(r.total).toBe(5000);
    expect(r.indices).toEqual(Array.from({ length: SHOWN }, (_, i) => i)); // equal rank: label order
    expect(names(labels, s.search("code 1234"))).toEqual(["code 1234"]);
  });

  it("narrowing as the user types gives the same answer as a fresh search", () => {
    const words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"];
    const labels = [];
    for (let i = 0; i < 3000; i++) labels.push(`${words[i % 8]} ${words[(i * 7) % 8]} ${i}`);
    const typed = createLabelSearch(labels);
    const queries = ["e", "et", "eta", "eta ", "eta t", "eta th", "eta the", "eta t", "e", "", "z", "ze", "zeta 1", "zeta 12"];
    for (const q of queries) {
      const fresh = createLabelSearch(labels).search(q, 50);
      expect(typed.search(q, 50)).toEqual(fresh);
    }
  });

  it("a deleted character widens the search again", () => {
    const s = createLabelSearch(ICD);
    expect(s.search("asthmaz").total).toBe(0);
    expect(s.search("asthma").total).toBe(5);
  });

  it("ranks among 100,000 labels", () => {
    const labels = Array.from({ length: 100_000 }, (_, i) => `C${String(i).padStart(5, "0")} category ${i % 977} of group ${i % 31}`);
    const s = createLabelSearch(labels);
    s.search("c"); // folds the labels once
    const r = s.search("category 97 of group 3");
    expect(r.total).toBeGreaterThan(0);
    for (const i of r.indices) for (const word of ["category", "97", "of", "group", "3"]) expect(labels[i]).toContain(word);
    expect(labels[r.indices[0]]).toMatch(/category 97 of group 3$/); // word starts and shortest first
  });
});

describe("highlight", () => {
  const marked = (parts) => parts.filter((p) => p.match).map((p) => p.text);

  it("marks the first occurrence of each query word and keeps the label's own text", () => {
    const parts = highlight("J45.9 Asthma, unspecified", "asthma UNSP");
    expect(parts.map((p) => p.text).join("")).toBe("J45.9 Asthma, unspecified");
    expect(marked(parts)).toEqual(["Asthma", "unsp"]);
  });

  it("maps accent-folded matches back onto the label as written", () => {
    expect(marked(highlight("Crème brûlée", "creme"))).toEqual(["Crème"]);
    expect(marked(highlight("🙂 smile Café", "cafe"))).toEqual(["Café"]);
  });

  it("marks nothing without a query or a match", () => {
    expect(highlight("Asthma", "")).toEqual([{ text: "Asthma", match: false }]);
    expect(marked(highlight("Asthma", "bronch"))).toEqual([]);
  });
});

describe("ranking against a plain sort (property)", () => {
  it("equals filtering every label and sorting all matches", async () => {
    const fc = await import("fast-check");
    const word = fc.constantFrom("ab", "abc", "b", "ca", "cab", "a-b", "Äb", "x");
    const label = fc.array(word, { minLength: 1, maxLength: 4 }).map((ws) => ws.join(" "));
    const query = fc.array(fc.constantFrom("a", "b", "c", "ab", "äb", " ", "x", "-"), { maxLength: 4 }).map((p) => p.join(""));
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 60 }), fc.array(query, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 8 }), (labels, queries, limit) => {
        const s = createLabelSearch(labels);
        for (const q of queries) {
          const tokens = queryTokens(q);
          const got = s.search(q, limit);
          if (!tokens.length) continue;
          const phrase = tokens.join(" ");
          const all = labels
            .map((l, index) => ({ index, text: fold(l).trim() }))
            .map((m) => ({ ...m, tier: matchTier(m.text, tokens, phrase) }))
            .filter((m) => m.tier >= 0)
            .sort((a, b) => a.tier - b.tier || a.text.length - b.text.length || a.index - b.index);
          expect(got.total).toBe(all.length);
          expect(got.indices).toEqual(all.slice(0, limit).map((m) => m.index));
        }
      }),
      { numRuns: 300 },
    );
  });
});
