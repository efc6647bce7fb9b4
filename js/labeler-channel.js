// The labeler's side of the kernel channel: messages out (numbered per view, tracked until
// acknowledged) and item payloads in (image bytes become object URLs, revoked when dropped).

/**
 * Create the channel of one view. `win` is its ItemWindow (view numbers, keys held).
 * Returns {client, pending, send(msg, tracked), receive(payload, buffers), release(payload),
 * settle(seqs), cleanup()}.
 */
export function createChannel(model, win) {
  const client = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  const pending = new Set(); // seqs of tracked messages not acknowledged yet
  const imageUrls = new Set();
  let seq = 0;

  return {
    client,
    pending,
    /** Send `msg`; a tracked one (an event to store) waits in `pending` for its ack. */
    send(msg, tracked) {
      // `client` + `view` (1, 2, 3, ...) let the kernel handle this view's messages in order.
      const out = { ...msg, client, view: win.nextView(), have: win.haveKeys() };
      if (tracked) {
        seq += 1;
        out.seq = `${client}/${seq}`; // unique across views of this widget: acks are broadcast
        pending.add(out.seq);
      }
      model.send(out);
    },
    /** The payload kept for an item: its image's bytes (`buffers`) become an object URL. */
    receive(payload, buffers) {
      const copy = { ...payload };
      if (payload.image && payload.image.buffer !== undefined) {
        const buf = buffers[payload.image.buffer];
        const blob = new Blob([buf instanceof DataView ? buf.buffer : buf], { type: payload.image.mime });
        const url = URL.createObjectURL(blob);
        imageUrls.add(url);
        copy.image = { url };
      }
      return copy;
    },
    /** Free a payload the window dropped. */
    release(payload) {
      if (payload && payload.image && payload.image.url) {
        URL.revokeObjectURL(payload.image.url);
        imageUrls.delete(payload.image.url);
      }
    },
    /** Tracked messages the kernel answered (acknowledged, or refused with an error). */
    settle(seqs) {
      for (const s of seqs) pending.delete(s);
    },
    /** Revoke every object URL still held. */
    cleanup() {
      for (const url of imageUrls) URL.revokeObjectURL(url);
      imageUrls.clear();
    },
  };
}
