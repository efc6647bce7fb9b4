import { describe, expect, it } from "vitest";
import { readSelection } from "./selection.js";

// readSelection picks the way to ask the browser; the real browsers are exercised end to end
// (tests/e2e/test_marimo.py drags inside marimo's shadow root in Chromium). These cases stand in
// for the browsers that are not here: each fake offers only the calls that browser has.

const text = { name: "text" };
const outside = { name: "host's parent" };
const range = (start, end = start) => ({ startContainer: start, startOffset: 1, endContainer: end, endOffset: 4, collapsed: false });

function shadowRoot({ own } = {}) {
  const root = { host: {}, contains: (node) => node === text, getRootNode: () => root };
  if (own) root.getSelection = () => own;
  return root;
}

function selection({ composed, positional, isCollapsed = true, type = "Range", str = "Obama" } = {}) {
  const cleared = [];
  const sel = {
    isCollapsed,
    type,
    rangeCount: 1,
    toString: () => str,
    getRangeAt: () => range(outside),
    removeAllRanges: () => cleared.push("window"),
    cleared,
  };
  if (composed || positional) {
    sel.getComposedRanges = (arg) => {
      if (arg && arg.shadowRoots) {
        if (!composed) throw new TypeError("not a ShadowRoot");
        return [composed];
      }
      return [positional ?? range(outside)];
    };
  }
  return sel;
}

const node = (root) => ({ getRootNode: () => root });

describe("readSelection in a shadow root", () => {
  it("reads getComposedRanges({shadowRoots}) (the standard)", () => {
    const root = shadowRoot();
    const got = readSelection(node(root), { getSelection: () => selection({ composed: range(text) }) });
    expect(got.range.startContainer).toBe(text);
  });
  it("falls back to the positional getComposedRanges(root) of older Safari", () => {
    const root = shadowRoot();
    const got = readSelection(node(root), { getSelection: () => selection({ positional: range(text) }) });
    expect(got.range.startContainer).toBe(text);
  });
  it("falls back to the shadow root's own getSelection() (older Chromium)", () => {
    const own = { rangeCount: 1, getRangeAt: () => range(text), removeAllRanges() { this.cleared = true; } };
    const root = shadowRoot({ own });
    const sel = selection();
    const got = readSelection(node(root), { getSelection: () => sel });
    expect(got.range.startContainer).toBe(text);
    got.clear();
    expect(sel.cleared).toEqual(["window"]);
    expect(own.cleared).toBe(true);
  });
  it("says text is selected but cannot be placed when no call reaches inside the root", () => {
    const root = shadowRoot();
    const got = readSelection(node(root), { getSelection: () => selection({ positional: range(outside) }) });
    expect(got).not.toBeNull();
    expect(got.range).toBeNull();
  });
  it("returns null for a caret", () => {
    const root = shadowRoot();
    const caret = selection({ type: "Caret", str: "" });
    expect(readSelection(node(root), { getSelection: () => caret })).toBeNull();
  });
});

describe("readSelection in the page", () => {
  const doc = { contains: () => true };
  doc.getRootNode = () => doc;
  it("returns the page's range", () => {
    const sel = { ...selection({ isCollapsed: false }), getRangeAt: () => range(text) };
    expect(readSelection(node(doc), { getSelection: () => sel }).range.startContainer).toBe(text);
  });
  it("returns null when the selection is collapsed", () => {
    expect(readSelection(node(doc), { getSelection: () => selection({ isCollapsed: true }) })).toBeNull();
  });
});
