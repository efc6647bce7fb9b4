import { describe, expect, it, vi } from "vitest";
import { createModel } from "./page-model.js";

describe("the served page's model", () => {
  it("gets the state, and emits change events for updates from the server", () => {
    const { model, receive } = createModel({ _progress: { n: 1 }, _status: {} }, vi.fn());
    const progress = vi.fn();
    const any = vi.fn();
    model.on("change:_progress", progress);
    model.on("change", any);
    receive({ method: "update", state: { _progress: { n: 2 } } }, []);
    expect(model.get("_progress")).toEqual({ n: 2 });
    expect(progress).toHaveBeenCalledTimes(1);
    expect(any).toHaveBeenCalledTimes(1);
    model.off("change:_progress", progress);
    receive({ method: "echo_update", state: { _progress: { n: 3 } } }, []);
    expect(progress).toHaveBeenCalledTimes(1);
    expect(model.get("_progress")).toEqual({ n: 3 });
  });

  it("hands custom messages and their buffers to msg:custom listeners", () => {
    const { model, receive } = createModel({}, vi.fn());
    const seen = [];
    model.on("msg:custom", (content, buffers) => seen.push([content, buffers]));
    const buf = new DataView(new ArrayBuffer(2));
    receive({ method: "custom", content: { type: "window" } }, [buf]);
    expect(seen).toEqual([[{ type: "window" }, [buf]]]);
  });

  it("sends custom messages and saved changes through post", () => {
    const post = vi.fn();
    const { model } = createModel({ paused: false }, post);
    model.send({ type: "hello" }, undefined, []);
    expect(post).toHaveBeenLastCalledWith({ method: "custom", content: { type: "hello" } }, []);
    model.save_changes();
    expect(post).toHaveBeenCalledTimes(1); // nothing changed
    model.set("paused", true);
    model.save_changes();
    expect(post).toHaveBeenLastCalledWith({ method: "update", state: { paused: true }, buffer_paths: [] }, []);
  });

  it("keeps going when a listener throws, and close() drops every listener", () => {
    const { model, receive, close } = createModel({}, vi.fn());
    const err = vi.spyOn(console, "error").mockImplementation(() => {});
    const after = vi.fn();
    model.on("msg:custom", () => {
      throw new Error("boom");
    });
    model.on("msg:custom", after);
    receive({ method: "custom", content: {} }, []);
    expect(after).toHaveBeenCalledTimes(1);
    close();
    receive({ method: "custom", content: {} }, []);
    expect(after).toHaveBeenCalledTimes(1);
    err.mockRestore();
  });
});
