// The frames of a served page's websocket (see nblabel/serve/wire.py): a JSON message as text,
// or — with binary buffers — one binary frame: a 4-byte big-endian length, the JSON (listing
// `buffer_lengths`), then the buffers.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A message (and its buffers: ArrayBuffer, typed arrays or DataViews) as one frame. */
export function encodeFrame(message, buffers = []) {
  if (!buffers.length) return JSON.stringify(message);
  const parts = buffers.map((b) => (b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
  const head = encoder.encode(JSON.stringify({ ...message, buffer_lengths: parts.map((p) => p.byteLength) }));
  const out = new Uint8Array(4 + head.byteLength + parts.reduce((n, p) => n + p.byteLength, 0));
  new DataView(out.buffer).setUint32(0, head.byteLength);
  out.set(head, 4);
  let at = 4 + head.byteLength;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out.buffer;
}

/** A frame (string or ArrayBuffer) as {message, buffers} (buffers as DataViews, as ipywidgets gives them). */
export function decodeFrame(frame) {
  if (typeof frame === "string") return { message: JSON.parse(frame), buffers: [] };
  const view = new DataView(frame);
  const size = view.getUint32(0);
  const message = JSON.parse(decoder.decode(new Uint8Array(frame, 4, size)));
  const lengths = message.buffer_lengths || [];
  delete message.buffer_lengths;
  const buffers = [];
  let at = 4 + size;
  for (const n of lengths) {
    buffers.push(new DataView(frame, at, n));
    at += n;
  }
  return { message, buffers };
}

/** Put buffers back into a state at their paths (ipywidgets' buffer_paths). */
export function putBuffers(state, paths = [], buffers = []) {
  paths.forEach((path, i) => {
    let obj = state;
    for (const key of path.slice(0, -1)) obj = obj[key];
    obj[path[path.length - 1]] = buffers[i];
  });
  return state;
}
