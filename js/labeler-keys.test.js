import { describe, expect, it } from "vitest";
import { createKeptActions, ORDERED_ACTIONS } from "./labeler-keys.js";

const onScreen = { hasItem: true, waiting: false };
const loading = { hasItem: false, waiting: true };

describe("createKeptActions", () => {
  it("lets every action through while an item is on screen and nothing is kept", () => {
    const kept = createKeptActions();
    for (const type of [...ORDERED_ACTIONS, "flag", "help"]) expect(kept.keep({ type }, onScreen)).toBe(false);
    expect(kept.size).toBe(0);
  });

  it("keeps ordered actions while the screen waits for an item, not the others", () => {
    const kept = createKeptActions();
    expect(kept.keep({ type: "label", index: 1 }, loading)).toBe(true);
    expect(kept.keep({ type: "help" }, loading)).toBe(false);
    expect(kept.keep({ type: "flag" }, loading)).toBe(false);
    expect(kept.size).toBe(1);
  });

  it("does not keep while the kernel has nothing more to show (done)", () => {
    const kept = createKeptActions();
    expect(kept.keep({ type: "next" }, { hasItem: false, waiting: false })).toBe(false);
  });

  it("queues later ordered keys behind kept ones even once the item is there", () => {
    const kept = createKeptActions();
    kept.keep({ type: "undo" }, loading);
    expect(kept.keep({ type: "label", index: 0 }, onScreen)).toBe(true);
    expect(kept.size).toBe(2);
  });

  it("replays in order and stops as soon as the screen waits again", () => {
    const kept = createKeptActions();
    for (const type of ["undo", "skip", "next"]) kept.keep({ type }, loading);
    let waiting = false;
    const ran = [];
    kept.replay(() => waiting, (action) => {
      ran.push(action.type);
      if (action.type === "skip") waiting = true; // stepped past the prefetched items
    });
    expect(ran).toEqual(["undo", "skip"]);
    expect(kept.size).toBe(1);
    waiting = false;
    kept.replay(() => waiting, (action) => ran.push(action.type));
    expect(ran).toEqual(["undo", "skip", "next"]);
    expect(kept.size).toBe(0);
  });

  it("replays nothing while the screen still waits", () => {
    const kept = createKeptActions();
    kept.keep({ type: "label", index: 2 }, loading);
    const ran = [];
    kept.replay(() => true, (action) => ran.push(action));
    expect(ran).toEqual([]);
    expect(kept.size).toBe(1);
  });
});
