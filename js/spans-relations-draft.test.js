import { describe, expect, it } from "vitest";
import { newDraft, relabelSelected, removeSelected, tagSpan, undoSpan } from "./spans-draft.js";
import {
  cancelRelation,
  finishRelation,
  linkToSpan,
  moveChild,
  NEED_TWO,
  relabelRelation,
  selectRelation,
  startRelation,
} from "./spans-relations-draft.js";
import { encodeValue, spanKey } from "./spans-relations-model.js";

// "Ada works for Acme in Paris ."
const TEXT = "Ada works for Acme in Paris .";
const TOKENS = [0, 3, 4, 9, 10, 13, 14, 18, 19, 21, 22, 27, 28, 29];
const LABELS = ["PER", "ORG", "LOC"];
const NAMES = ["works_for", "located_in"];
const ADA = [0, 3, 0];
const ACME = [14, 18, 1];
const PARIS = [22, 27, 2];
const item = (value) => ({ key: "k", value, payload: { text: TEXT, tokens: TOKENS } });
const drafted = (relations = []) => newDraft(item({ spans: [ADA, ACME, PARIS], relations }));
const sent = (d) => encodeValue(d.spans, d.relations, true);
const opts = { names: NAMES, text: TEXT };

describe("a draft with relations", () => {
  it("starts from the stored value's relations; a plain span list has none", () => {
    const d = drafted([[0, 1, 0]]);
    expect(d.relations).toEqual([{ head: spanKey(ADA), child: spanKey(ACME), label: 0 }]);
    expect(sent(d)).toEqual({ spans: [ADA, ACME, PARIS], relations: [[0, 1, 0]] });
    expect(newDraft(item([ADA])).relations).toEqual([]);
  });

  it("r, arrows and a relation key draw a relation; Backspace undoes it", () => {
    const d = drafted();
    d.selected = { kind: "span", index: 0 }; // Ada
    startRelation(d, null);
    expect(d.linking).toEqual({ head: spanKey(ADA), child: spanKey(ACME) });
    moveChild(d, 1);
    expect(d.linking.child).toBe(spanKey(PARIS));
    moveChild(d, -1);
    finishRelation(d, 0, opts);
    expect(d.linking).toBeNull();
    expect(d.notice).toBe("Added works_for: “Ada” → “Acme” (Backspace undoes).");
    expect(sent(d).relations).toEqual([[0, 1, 0]]);
    undoSpan(d);
    expect(sent(d).relations).toEqual([]);
  });

  it("starts from the span under the token cursor, else the first; needs two spans", () => {
    const d = drafted();
    startRelation(d, 22); // the cursor on "Paris"
    expect(d.linking.head).toBe(spanKey(PARIS));
    expect(d.linking.child).toBe(spanKey(ADA)); // the last span: the child wraps to the first
    cancelRelation(d);
    startRelation(d, 5); // "works": no span there
    expect(d.linking.head).toBe(spanKey(ADA));
    const lone = newDraft(item({ spans: [ADA], relations: [] }));
    startRelation(lone, null);
    expect(lone.linking).toBeNull();
    expect(lone.notice).toBe(NEED_TWO);
  });

  it("Shift+click: select, then link; the same relation is not added twice", () => {
    const d = drafted();
    expect(linkToSpan(d, spanKey(ACME))).toBe(true); // nothing selected: it is selected
    expect(d.selected).toEqual({ kind: "span", index: 1 });
    expect(linkToSpan(d, spanKey(ACME))).toBe(false); // to itself: nothing
    linkToSpan(d, spanKey(PARIS));
    expect(d.linking).toEqual({ head: spanKey(ACME), child: spanKey(PARIS) });
    finishRelation(d, 1, opts);
    d.selected = { kind: "span", index: 1 };
    linkToSpan(d, spanKey(PARIS));
    finishRelation(d, 1, opts);
    expect(d.notice).toBe("located_in: “Acme” → “Paris” is already there.");
    expect(sent(d).relations).toEqual([[1, 2, 1]]);
  });

  it("deleting a span drops its relations and re-indexes the others", () => {
    const d = drafted([[0, 1, 0], [1, 2, 1]]);
    d.selected = { kind: "span", index: 0 }; // Ada
    removeSelected(d);
    expect(sent(d)).toEqual({ spans: [ACME, PARIS], relations: [[0, 1, 1]] });
    undoSpan(d);
    expect(sent(d).relations).toEqual([[0, 1, 0], [1, 2, 1]]);
  });

  it("a new span before them re-indexes; one replacing an end drops the relation", () => {
    const d = drafted([[1, 2, 1]]);
    tagSpan(d, item(null), [4, 9, 0], { overlap: false, labels: LABELS }); // "works" before Acme
    expect(sent(d).relations).toEqual([[2, 3, 1]]);
    tagSpan(d, item(null), [14, 21, 1], { overlap: false, labels: LABELS }); // replaces "Acme"
    expect(sent(d).relations).toEqual([]);
  });

  it("relations follow a relabeled span", () => {
    const d = drafted([[0, 1, 0]]);
    d.selected = { kind: "span", index: 1 };
    relabelSelected(d, 2, false); // Acme becomes LOC
    expect(sent(d)).toEqual({ spans: [ADA, [14, 18, 2], PARIS], relations: [[0, 1, 0]] });
  });

  it("] and [ select arcs; a key relabels, Delete removes", () => {
    const d = drafted([[0, 1, 0], [1, 2, 1]]);
    expect(selectRelation(d, 1)).toBe(true);
    expect(d.selected).toEqual({ kind: "relation", index: 0 });
    selectRelation(d, -1);
    expect(d.selected.index).toBe(1);
    relabelRelation(d, 0);
    expect(sent(d).relations).toEqual([[0, 1, 0], [1, 2, 0]]);
    removeSelected(d);
    expect(sent(d).relations).toEqual([[0, 1, 0]]);
    expect(selectRelation(newDraft(item([ADA])), 1)).toBe(false);
  });

  it("relabeling into a relation already there merges them", () => {
    const d = drafted([[0, 1, 0], [0, 1, 1]]);
    d.selected = { kind: "relation", index: 1 };
    relabelRelation(d, 0);
    expect(sent(d).relations).toEqual([[0, 1, 0]]);
  });

  it("a span change stops a relation being drawn", () => {
    const d = drafted();
    startRelation(d, null);
    tagSpan(d, item(null), [4, 9, 0], { overlap: false, labels: LABELS });
    expect(d.linking).toBeNull();
  });
});
