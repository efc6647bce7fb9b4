// The model a widget's ES module sees on a served page: the part of anywidget's model interface
// nblabel's widgets use — get, set, save_changes, on/off ("change:<trait>", "change",
// "msg:custom"), send (custom messages with buffers). Messages go out through `post(data, buffers)`.

export function createModel(state, post) {
  const values = { ...state };
  const handlers = new Map(); // event name -> Set of callbacks
  let dirty = {};

  function emit(name, ...args) {
    for (const cb of [...(handlers.get(name) || [])]) {
      try {
        cb(...args);
      } catch (err) {
        console.error(`nblabel page: a ${name} handler failed`, err);
      }
    }
  }

  const model = {
    get: (key) => values[key],
    set(key, value) {
      values[key] = value;
      dirty[key] = value;
      emit(`change:${key}`, model, value);
      emit("change", model);
    },
    save_changes() {
      if (!Object.keys(dirty).length) return;
      post({ method: "update", state: dirty, buffer_paths: [] }, []);
      dirty = {};
    },
    on(name, cb) {
      if (!handlers.has(name)) handlers.set(name, new Set());
      handlers.get(name).add(cb);
    },
    off(name, cb) {
      if (!name) handlers.clear();
      else if (!cb) handlers.delete(name);
      else handlers.get(name)?.delete(cb);
    },
    send(content, _callbacks, buffers = []) {
      post({ method: "custom", content }, buffers || []);
    },
    widget_manager: {
      get_model: () => Promise.reject(new Error("a served page has no other widgets")),
    },
  };

  /** A message from the server for this model: a state update or a custom message. */
  function receive(data, buffers) {
    if (data.method === "update" || data.method === "echo_update") {
      const changed = Object.keys(data.state || {});
      for (const key of changed) values[key] = data.state[key];
      for (const key of changed) emit(`change:${key}`, model, values[key]);
      if (changed.length) emit("change", model);
    } else if (data.method === "custom") {
      emit("msg:custom", data.content, buffers);
    }
  }

  function close() {
    handlers.clear();
  }

  return { model, receive, close };
}
