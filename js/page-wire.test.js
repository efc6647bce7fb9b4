import { describe, expect, it } from "vitest";
import { decodeFrame, encodeFrame, putBuffers } from "./page-wire.js";

describe("page websocket frames", () => {
  it("sends a message without buffers as JSON text", () => {
    const frame = encodeFrame({ msg_type: "comm_msg", content: { text: "é 👋" } });
    expect(typeof frame).toBe("string");
    expect(decodeFrame(frame)).toEqual({ message: { msg_type: "comm_msg", content: { text: "é 👋" } }, buffers: [] });
  });

  it("round-trips buffers of any view type in one binary frame", () => {
    const a = new Uint8Array([1, 2, 3]);
    const b = new DataView(new Uint8Array([9, 8, 7, 6, 5]).buffer, 1, 3);
    const frame = encodeFrame({ x: "ünï" }, [a, b, new ArrayBuffer(0)]);
    expect(frame).toBeInstanceOf(ArrayBuffer);
    const { message, buffers } = decodeFrame(frame);
    expect(message).toEqual({ x: "ünï" });
    expect(buffers.map((d) => [...new Uint8Array(d.buffer, d.byteOffset, d.byteLength)])).toEqual([[1, 2, 3], [8, 7, 6], []]);
  });

  it("reads the server's layout: 4-byte big-endian length, JSON, buffers", () => {
    const head = new TextEncoder().encode(JSON.stringify({ k: 1, buffer_lengths: [2] }));
    const bytes = new Uint8Array(4 + head.length + 2);
    new DataView(bytes.buffer).setUint32(0, head.length, false);
    bytes.set(head, 4);
    bytes.set([42, 43], 4 + head.length);
    const { message, buffers } = decodeFrame(bytes.buffer);
    expect(message).toEqual({ k: 1 });
    expect(buffers[0]).toBeInstanceOf(DataView);
    expect(buffers[0].getUint8(1)).toBe(43);
  });

  it("puts buffers back at their paths", () => {
    const state = putBuffers({ a: { b: null }, c: [0, null] }, [["a", "b"], ["c", 1]], ["B1", "B2"]);
    expect(state).toEqual({ a: { b: "B1" }, c: [0, "B2"] });
  });
});
