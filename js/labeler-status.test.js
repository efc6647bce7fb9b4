import { describe, expect, it } from "vitest";
import { bannerText, countsShown, doneLine, flagNote, itemMetaLine, progressLine, progressWidth, saveState, storeName, whereLine, whyLine } from "./labeler-status.js";

describe("progress", () => {
  it("counts labeled, skipped and flagged items", () => {
    expect(progressLine({ total: 40, labeled: 12 })).toBe("12 / 40 labeled");
    expect(progressLine({ total: 40, labeled: 12, skipped: 3, flagged: 1 })).toBe("12 / 40 labeled · 3 skipped · 1 flagged");
    expect(progressLine({})).toBe("0 / 0 labeled");
  });

  it("fills the bar with labeled and skipped items", () => {
    expect(progressWidth({ total: 4, labeled: 1, skipped: 1 })).toBe("50%");
    expect(progressWidth({ total: 0 })).toBe("0%");
    expect(progressWidth({})).toBe("0%");
  });

  it("shows a count per label for a small label set", () => {
    expect(countsShown({ counts: [3, 0, 5] }, ["a", "b", "c"])).toEqual({ shown: [[0, 3], [1, 0], [2, 5]], more: 0 });
    expect(countsShown({}, ["a", "b"])).toEqual({ shown: [[0, 0], [1, 0]], more: 0 });
  });

  it("shows the most used labels of a large set and how many more are in use", () => {
    const labels = ["a", "b", "c", "d"];
    expect(countsShown({ top: [[2, 9], [0, 4]], used: 3 }, labels)).toEqual({ shown: [[2, 9], [0, 4]], more: 1 });
    expect(countsShown({ top: [[2, 9], [0, 4]], used: 2 }, labels)).toEqual({ shown: [[2, 9], [0, 4]], more: 0 });
  });

  it("leaves out top labels the label list does not have (hidden counts)", () => {
    expect(countsShown({ top: [[2, 9]], used: 5 }, [])).toEqual({ shown: [], more: 0 });
  });
});

describe("bannerText", () => {
  it("is empty while the store is fine and nothing failed", () => {
    expect(bannerText({}, "")).toBe("");
    expect(bannerText({ state: "ok", message: "x" }, "")).toBe("");
  });

  it("says the store is failing, with its message or a default", () => {
    expect(bannerText({ state: "error", message: "disk full" }, "")).toBe("disk full");
    expect(bannerText({ state: "error" }, "")).toBe("The store is unavailable; retrying.");
  });

  it("adds the latest error after the store's trouble", () => {
    expect(bannerText({}, "bad value")).toBe("bad value");
    expect(bannerText({ state: "error", message: "disk full" }, "bad value")).toBe("disk full · bad value");
  });
});

describe("saveState", () => {
  it("is saved with nothing pending, saving while events wait for their ack", () => {
    expect(saveState({}, 0)).toEqual({ text: "All changes saved", state: "saved" });
    expect(saveState({ state: "ok" }, 2)).toEqual({ text: "Saving… (2)", state: "saving" });
  });

  it("says how many events wait and how many the store refused while it fails", () => {
    expect(saveState({ state: "error", pending: 4 }, 1)).toEqual({ text: "Not saved: 4 waiting", state: "error" });
    expect(saveState({ state: "error" }, 3)).toEqual({ text: "Not saved: 3 waiting", state: "error" });
    expect(saveState({ state: "error", pending: 2, failed: 1 }, 0)).toEqual({ text: "Not saved: 2 waiting, 1 refused", state: "error" });
    expect(saveState({ state: "error", failed: 1 }, 0)).toEqual({ text: "Not saved: 1 refused", state: "error" });
    expect(saveState({ state: "error" }, 0)).toEqual({ text: "Not saved: 0 waiting", state: "error" });
  });
});

describe("item lines", () => {
  it("names the item, its place and its state", () => {
    const item = { payload: { id: "r7" }, rank: 3 };
    expect(itemMetaLine(item, 10)).toBe("Item r7 · #3 of 10");
    expect(itemMetaLine({ ...item, status: "label" }, 10)).toBe("Item r7 · #3 of 10 · labeled");
    expect(itemMetaLine({ ...item, status: "skip" }, 10)).toBe("Item r7 · #3 of 10 · skipped");
  });

  it("shows a flag with or without its comment", () => {
    expect(flagNote("")).toBe("⚑ flagged");
    expect(flagNote("typo?")).toBe("⚑ flagged: typo?");
  });

  it("sums up when every item is done", () => {
    expect(doneLine({ labeled: 5, skipped: 1 }, "k")).toBe(" 5 labeled, 1 skipped. Press k to review.");
    expect(doneLine({}, "←")).toBe(" 0 labeled, 0 skipped. Press ← to review.");
  });

  it("names the task, annotator and store in the footer", () => {
    expect(whereLine({ task: "t", annotator: "ana", store: "x.db" })).toBe("task t · annotator ana · store x.db");
    expect(whereLine({ task: "t", annotator: "ana", store: "/tmp/pytest-of-ana/pytest-7/lab0/examples/nblabel.db" })).toBe(
      "task t · annotator ana · store nblabel.db",
    );
  });

  it("names a SQLite store by its file name", () => {
    expect(storeName("/home/ana/pilot/labels.db")).toBe("labels.db");
    expect(storeName("C:\\Users\\ana\\pilot\\nblabel.db")).toBe("nblabel.db");
    expect(storeName("nblabel.db")).toBe("nblabel.db");
  });

  it("shows a server or in-memory store in full, odd input as text", () => {
    expect(storeName("postgresql://db.example.org:5432/labels")).toBe("postgresql://db.example.org:5432/labels");
    expect(storeName(":memory:")).toBe(":memory:");
    expect(storeName("/")).toBe("/");
    expect(storeName("")).toBe("");
    expect(storeName(undefined)).toBe("");
  });
});

describe("why this item", () => {
  it("says why an active ordering serves the item", () => {
    expect(whyLine({ why: "uncertainty 0.48 (model v3 fit on 40 labels; P(pos)=0.52, P(neg)=0.48)" })).toBe(
      "Why this item: uncertainty 0.48 (model v3 fit on 40 labels; P(pos)=0.52, P(neg)=0.48)",
    );
    expect(whyLine({ why: "  cold start: random  " })).toBe("Why this item: cold start: random");
  });

  it("is empty without a reason (no active ordering) or for a value that is not text", () => {
    expect(whyLine({})).toBe("");
    expect(whyLine({ why: "" })).toBe("");
    expect(whyLine({ why: 3 })).toBe("");
    expect(whyLine(null)).toBe("");
  });

  it("keeps markup as text (the caller sets textContent)", () => {
    expect(whyLine({ why: "<img src=x onerror=alert(1)>" })).toBe("Why this item: <img src=x onerror=alert(1)>");
  });
});

describe("bannerText with a model's failure", () => {
  it("says the suggest callable failed, after the store's own message", () => {
    const suggest = { error: "suggest callable 'clf' failed: RuntimeError: down" };
    expect(bannerText({}, "", suggest)).toBe(suggest.error);
    expect(bannerText({ state: "error", message: "disk full" }, "", suggest)).toBe(`disk full · ${suggest.error}`);
    expect(bannerText({}, "", {})).toBe("");
    expect(bannerText({}, "")).toBe("");
  });
});
