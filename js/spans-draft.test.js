import { describe, expect, it } from "vitest";
import {
  acceptSuggestion,
  ASK_EMPTY,
  clearSelection,
  cursorRange,
  draftFor,
  enterStep,
  markUnreadable,
  moveCursor,
  newDraft,
  relabelSelected,
  removeSelected,
  settleAll,
  tagSpan,
  unask,
  undoSpan,
  UNREADABLE,
} from "./spans-draft.js";
import { lateSuggestion } from "./suggestion-draft.js";

// "Barack Obama visited Paris ." tokens
const TEXT = "Barack Obama visited Paris .";
const TOKENS = [0, 6, 7, 12, 13, 20, 21, 26, 27, 28];
const LABELS = ["PER", "LOC"];
const item = (value, suggestion) => ({ key: "k", value, payload: { text: TEXT, tokens: TOKENS, ...(suggestion ? { suggestion } : {}) } });
const opts = { overlap: false, labels: LABELS };

describe("newDraft", () => {
  it("starts from the stored spans, or from pending suggestions without a value", () => {
    expect(newDraft(item([[0, 6, 0]])).spans).toEqual([[0, 6, 0]]);
    expect(newDraft(item([[0, 6, 0]], [[21, 26, 1]])).suggestions).toEqual([]);
    expect(newDraft(item(null, [[21, 26, 1]])).suggestions).toEqual([{ span: [21, 26, 1], state: "pending" }]);
  });

  it("is kept per item and started anew for another one", () => {
    const st = { draft: null };
    const d = draftFor(st, item(null));
    expect(draftFor(st, item(null))).toBe(d);
    expect(draftFor(st, { ...item(null), key: "k2" })).not.toBe(d);
  });
});

describe("tagSpan", () => {
  it("adds a span aligned with tokens without a notice", () => {
    const d = newDraft(item(null));
    expect(tagSpan(d, item(null), [0, 12, 0], opts)).toBe(true);
    expect(d.spans).toEqual([[0, 12, 0]]);
    expect(d.notice).toBe("");
  });

  it("names the spans it replaced", () => {
    const d = newDraft(item([[7, 12, 0]]));
    tagSpan(d, item(null), [0, 12, 1], opts);
    expect(d.spans).toEqual([[0, 12, 1]]);
    expect(d.notice).toBe("Replaced PER “Obama” (overlapping spans are not allowed here; Backspace undoes).");
  });

  it("keeps overlapping spans when overlap is allowed", () => {
    const d = newDraft(item([[7, 12, 0]]));
    tagSpan(d, item(null), [0, 12, 1], { ...opts, overlap: true });
    expect(d.spans).toEqual([[0, 12, 1], [7, 12, 0]]);
  });

  it("says when a span does not line up with whole tokens", () => {
    const d = newDraft(item(null));
    tagSpan(d, item(null), [7, 10, 0], opts);
    expect(d.notice).toBe("“Oba” does not line up with whole tokens; it is marked with a dotted line.");
  });

  it("adds nothing twice and leaves the history alone then", () => {
    const d = newDraft(item([[0, 6, 0]]));
    expect(tagSpan(d, item(null), [0, 6, 0], opts)).toBe(false);
    expect(d.history).toEqual([]);
  });
});

describe("Enter on an item with no span", () => {
  it("asks first, then confirms", () => {
    const d = newDraft(item(null));
    expect(enterStep(d, item(null))).toBe("ask");
    expect(d.notice).toBe(ASK_EMPTY);
    expect(enterStep(d, item(null))).toBe("confirm");
  });

  it("confirms at once an item labeled before, or one whose spans were removed", () => {
    expect(enterStep(newDraft(item([])), item([]))).toBe("confirm");
    const d = newDraft(item(null));
    tagSpan(d, item(null), [0, 6, 0], opts);
    d.selected = { kind: "span", index: 0 };
    removeSelected(d);
    expect(enterStep(d, item(null))).toBe("confirm");
  });

  it("asks again after an unreadable selection", () => {
    const d = newDraft(item([]));
    markUnreadable(d);
    expect(d.notice).toBe(UNREADABLE);
    expect(enterStep(d, item([]))).toBe("ask");
  });

  it("forgets the question once anything else is done", () => {
    const d = newDraft(item(null));
    enterStep(d, item(null));
    unask(d);
    expect(d.asked).toBe(false);
    expect(d.notice).toBe("");
    expect(enterStep(d, item(null))).toBe("ask");
  });
});

describe("editing", () => {
  it("undoes span changes one by one", () => {
    const d = newDraft(item(null));
    tagSpan(d, item(null), [0, 6, 0], opts);
    tagSpan(d, item(null), [21, 26, 1], opts);
    expect(undoSpan(d)).toBe(true);
    expect(d.spans).toEqual([[0, 6, 0]]);
    expect(undoSpan(d)).toBe(true);
    expect(undoSpan(d)).toBe(false); // then the shell undoes the item
  });

  it("removes the selected span or rejects the selected suggestion", () => {
    const d = newDraft(item(null, [[21, 26, 1]]));
    expect(removeSelected(d)).toBe(false);
    d.selected = { kind: "suggestion", index: 0 };
    expect(removeSelected(d)).toBe(true);
    expect(d.suggestions[0].state).toBe("rejected");
    expect(d.selected).toBe(null);
  });

  it("relabels the selected span", () => {
    const d = newDraft(item([[0, 6, 0], [21, 26, 1]]));
    d.selected = { kind: "span", index: 1 };
    relabelSelected(d, 0, false);
    expect(d.spans).toEqual([[0, 6, 0], [21, 26, 0]]);
    expect(d.selected).toBe(null);
  });

  it("accepts a suggestion with its label or another, and all pending ones at once", () => {
    const d = newDraft(item(null, [[0, 6, 0], [21, 26, 1], [13, 20, 0]]));
    acceptSuggestion(d, 1, 0, false);
    expect(d.spans).toEqual([[21, 26, 0]]);
    expect(settleAll(d, "accepted", false)).toBe(true);
    expect(d.spans).toEqual([[0, 6, 0], [13, 20, 0], [21, 26, 0]]);
    expect(settleAll(d, "rejected", false)).toBe(false); // none pending
  });

  it("Esc clears the cursor, selection and notice, and says whether there was any", () => {
    const d = newDraft(item(null));
    expect(clearSelection(d)).toBe(false);
    d.cursor = { anchor: 0, focus: 1 };
    d.notice = "x";
    expect(clearSelection(d)).toBe(true);
    expect([d.cursor, d.selected, d.notice]).toEqual([null, null, ""]);
  });
});

describe("the token cursor", () => {
  it("starts on the first token, moves, extends and stops at the ends", () => {
    const d = newDraft(item(null));
    expect(cursorRange(d, TOKENS)).toBe(null);
    moveCursor(d, 5, 1, false);
    expect(cursorRange(d, TOKENS)).toEqual([0, 6]);
    moveCursor(d, 5, 1, true);
    expect(cursorRange(d, TOKENS)).toEqual([0, 12]);
    moveCursor(d, 5, -1, false);
    moveCursor(d, 5, -1, false);
    expect(cursorRange(d, TOKENS)).toEqual([0, 6]);
    for (let i = 0; i < 9; i++) moveCursor(d, 5, 1, false);
    expect(cursorRange(d, TOKENS)).toEqual([27, 28]);
  });

  it("does nothing on an item without tokens", () => {
    const d = newDraft(item(null));
    expect(moveCursor(d, 0, 1, false)).toBe(false);
    expect(d.cursor).toBe(null);
  });
});

describe("a late suggestion", () => {
  it("starts an untouched draft again with the suggestion that arrived after it", () => {
    const state = {};
    const before = item(null);
    const d = draftFor(state, before);
    expect(d.suggestions).toEqual([]);
    const after = item(null, [[21, 26, 1]]);
    expect(lateSuggestion(d, after)).toBe(true);
    expect(draftFor(state, after).suggestions).toEqual([{ span: [21, 26, 1], state: "pending" }]);
  });

  it("keeps a draft the annotator already changed, and a labeled item's spans", () => {
    const state = {};
    const d = draftFor(state, item(null));
    tagSpan(d, item(null), [0, 12, 0], opts);
    expect(lateSuggestion(d, item(null, [[21, 26, 1]]))).toBe(false);
    expect(draftFor(state, item(null, [[21, 26, 1]]))).toBe(d);
    const labeled = { spans: [], suggestions: [], history: [], key: "k" };
    expect(lateSuggestion(labeled, item([], [[21, 26, 1]]))).toBe(false);
  });
});
