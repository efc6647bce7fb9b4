import { describe, expect, it } from "vitest";
import { createActiveTimer } from "./timing.js";

function clock() {
  let t = 0;
  return { now: () => t, at: (ms) => (t = ms) };
}

describe("createActiveTimer", () => {
  it("sums gaps between activity", () => {
    const c = clock();
    const timer = createActiveTimer({ idleMs: 60000, now: c.now });
    timer.start();
    c.at(1000);
    timer.activity();
    c.at(2500);
    timer.activity();
    c.at(3000);
    expect(timer.elapsed()).toBe(3000);
  });

  it("leaves out idle gaps longer than the limit", () => {
    const c = clock();
    const timer = createActiveTimer({ idleMs: 60000, now: c.now });
    timer.start();
    c.at(5000);
    timer.activity();
    c.at(5000 + 60001); // away: not counted at all
    timer.activity();
    c.at(5000 + 60001 + 2000);
    expect(timer.elapsed()).toBe(7000);
  });

  it("counts a gap of exactly the limit", () => {
    const c = clock();
    const timer = createActiveTimer({ idleMs: 1000, now: c.now });
    timer.start();
    c.at(1000);
    expect(timer.elapsed()).toBe(1000);
    c.at(2001);
    expect(timer.elapsed()).toBe(1000); // 1001 ms gap: idle
  });

  it("elapsed() does not count a trailing idle gap", () => {
    const c = clock();
    const timer = createActiveTimer({ idleMs: 60000, now: c.now });
    timer.start();
    c.at(4000);
    timer.activity();
    c.at(4000 + 10 * 60000); // label pressed after ten minutes away
    expect(timer.elapsed()).toBe(4000);
  });

  it("pauses while the page is hidden", () => {
    const c = clock();
    const timer = createActiveTimer({ idleMs: 60000, now: c.now });
    timer.start();
    c.at(3000);
    timer.pause(); // hidden: the 3 s so far count
    c.at(33000); // 30 s hidden, under the idle limit, yet not counted
    timer.activity(); // visible again
    c.at(34000);
    expect(timer.elapsed()).toBe(4000);
  });

  it("start() resets for a new item", () => {
    const c = clock();
    const timer = createActiveTimer({ idleMs: 60000, now: c.now });
    timer.start();
    c.at(9000);
    expect(timer.elapsed()).toBe(9000);
    timer.start();
    c.at(9500);
    expect(timer.elapsed()).toBe(500);
  });

  it("ignores time going backwards and rounds to whole ms", () => {
    const c = clock();
    const timer = createActiveTimer({ idleMs: 60000, now: c.now });
    c.at(1000);
    timer.start();
    c.at(500);
    timer.activity();
    c.at(800.6);
    expect(timer.elapsed()).toBe(301);
  });

  it("defaults to a 60 s idle limit", () => {
    const c = clock();
    const timer = createActiveTimer({ now: c.now });
    timer.start();
    c.at(60000);
    expect(timer.elapsed()).toBe(60000);
    c.at(120001);
    expect(timer.elapsed()).toBe(60000);
  });
});
