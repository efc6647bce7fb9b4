// A served page (nblabel session serve): one widget, no notebook and no kernel. Opens the page's
// websocket, builds the model from the state the server sends, loads the widget's own ES module
// and style (served beside the page) and calls its render({model, el}). After a drop or a
// server restart it reconnects and renders again from the state the server sends (the labeler
// resumes from the store); while disconnected the widget is inert.

import { createModel } from "./page-model.js";
import { decodeFrame, encodeFrame, putBuffers } from "./page-wire.js";

const base = location.pathname.replace(/\/+$/, "");
const statusEl = document.getElementById("nbl-page-status");
const host = document.getElementById("nbl-page-widget");
let modulePromise = null;
let view = null; // {comm_id, receive, close, cleanup, el}
let delay = 500;

function status(text, state = "ok") {
  statusEl.textContent = text;
  statusEl.dataset.state = state;
}

function loadModule() {
  modulePromise ??= import(`${base}/widget.js`).then((m) => m.default ?? m);
  return modulePromise;
}

async function teardown() {
  const old = view;
  view = null;
  if (!old) return;
  try {
    const cleanup = await old.cleanup;
    if (typeof cleanup === "function") cleanup();
  } catch (err) {
    console.error("nblabel page: cleanup failed", err);
  }
  old.close();
  old.el.remove();
}

async function open(ws, commId, data, buffers) {
  await teardown();
  const state = putBuffers(data.state || {}, data.buffer_paths, buffers);
  const post = (msg, bufs) => {
    if (ws.readyState === WebSocket.OPEN) {
      ws.send(encodeFrame({ msg_type: "comm_msg", content: { comm_id: commId, data: msg } }, bufs));
    }
  };
  const { model, receive, close } = createModel(state, post);
  const el = document.createElement("div");
  host.append(el);
  const current = { comm_id: commId, receive, close, el, cleanup: null };
  view = current;
  const mod = await loadModule();
  const widget = typeof mod === "function" ? await mod() : mod;
  if (widget.initialize) await widget.initialize({ model });
  current.cleanup = Promise.resolve(widget.render({ model, el }));
  await current.cleanup;
  status("");
  el.querySelector("[tabindex]")?.focus();
}

function connect() {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const ws = new WebSocket(`${proto}//${location.host}${base}/ws`);
  ws.binaryType = "arraybuffer";
  ws.addEventListener("open", () => {
    delay = 500;
    status("Connected, opening your labeler…");
  });
  ws.addEventListener("message", (event) => {
    const { message, buffers } = decodeFrame(event.data);
    const content = message.content || {};
    if (message.msg_type === "comm_open") {
      open(ws, content.comm_id, content.data || {}, buffers).catch((err) => {
        console.error(err);
        status(`The labeler could not be shown: ${err.message}`, "lost");
      });
    } else if (message.msg_type === "comm_msg" && view && view.comm_id === content.comm_id) {
      view.receive(content.data || {}, buffers);
    } else if (message.msg_type === "error") {
      status(`nblabel: ${content.evalue || "error"}`, "lost");
    }
  });
  ws.addEventListener("close", () => {
    if (view) view.el.inert = true;
    status("Connection lost: reconnecting… (your labels so far are saved)", "lost");
    setTimeout(connect, delay);
    delay = Math.min(delay * 2, 5000);
  });
}

connect();
