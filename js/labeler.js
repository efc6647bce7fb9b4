// The shared shell of every labeling widget: layout, keyboard isolation, the item window,
// navigation, undo, skip, flag, progress, guidelines, timing, the save status and the banner.
// A task module (classify.js, ...) supplies how an item is drawn and what a label is.

import { h, listen, setSanitizedHTML } from "./dom.js";
import { actionFor, classifyHelpRows, shouldIsolate } from "./keymap.js";
import { createSessionPanels } from "./session-panels.js";
import { createActiveTimer } from "./timing.js";
import { ItemWindow } from "./window.js";

/**
 * Mount a labeler into `el`. `task` provides:
 *   title: string                         widget name for the accessible label
 *   hotkeys(config): (string|null)[]      key per label
 *   renderItem(ctx, item, body)           draw the item into `body`
 *   renderControls(ctx, item, controls)   draw the label controls into `controls`
 *   onAction(ctx, action, item): boolean  handle task actions (label, confirm); true = handled
 *   setup(ctx, {body, controls})?: () => void  attach listeners once; returns their cleanup
 *   onKey(ctx, event, item)?: boolean     handle a key before the shared keymap; true = handled
 *   helpRows(config)?: [key, what][]      the help table (default: keymap's classifyHelpRows)
 *   navKeys?: {prev, next}                keys shown on the navigation buttons (default ← →)
 * Returns the cleanup function that removes every listener.
 */
export function mountLabeler({ model, el }, task) {
  const cleanups = [];
  const win = new ItemWindow();
  const timer = createActiveTimer({ idleMs: model.get("_config").idle_ms || 60000 });
  const imageUrls = new Set();
  let seq = 0;
  const client = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  const pending = new Set();
  let transientError = "";
  let showHelp = false;
  let flagOpen = false;

  const config = () => model.get("_config");

  // ---------------------------------------------------------------- layout
  const root = h("div", {
    class: "nbl-root",
    tabindex: "0",
    role: "group",
    "aria-label": `${task.title} — task ${config().task}`,
    "data-lm-suppress-shortcuts": "true",
  });
  const header = h("div", { class: "nbl-header" });
  const progressText = h("div", { class: "nbl-progress", "aria-live": "polite" });
  const progressBar = h("div", { class: "nbl-progress-bar" }, h("div", { class: "nbl-progress-fill" }));
  const counts = h("div", { class: "nbl-counts" });
  header.append(progressText, progressBar, counts);
  const banner = h("div", { class: "nbl-banner", role: "alert", hidden: true });
  const itemMeta = h("div", { class: "nbl-item-meta" });
  const body = h("div", { class: "nbl-item" });
  const controls = h("div", { class: "nbl-controls" });
  const flagForm = h("form", { class: "nbl-flag-form", hidden: true });
  const flagInput = h("input", {
    type: "text",
    class: "nbl-flag-input",
    placeholder: "What is unclear about this item? (Enter to flag, Esc to cancel)",
    "aria-label": "Flag comment",
    maxlength: "5000",
  });
  flagForm.append(
    flagInput,
    h("button", { type: "submit", class: "nbl-btn", text: "Flag" }),
    h("button", { type: "button", class: "nbl-btn nbl-flag-cancel", text: "Cancel" }),
  );
  const nav = h("div", { class: "nbl-nav" });
  const navButton = (label, key, action) =>
    h("button", {
      type: "button",
      class: "nbl-btn nbl-nav-btn",
      "data-action": action,
      "aria-label": label,
      "aria-keyshortcuts": key,
      title: `${label} (${key})`,
    }, label, h("kbd", { text: key }));
  nav.append(
    navButton("Previous", task.navKeys?.prev ?? "←", "prev"),
    navButton("Undo", "u", "undo"),
    navButton("Skip", "s", "skip"),
    navButton("Flag", "f", "flag"),
    navButton("Guidelines", "g", "guidelines"),
    navButton("Next", task.navKeys?.next ?? "→", "next"),
  );
  const guidelines = h("div", { class: "nbl-guidelines", hidden: true, role: "region", "aria-label": "Guidelines" });
  const help = h("div", { class: "nbl-help", hidden: true });
  const footer = h("div", { class: "nbl-footer" });
  const saveState = h("span", { class: "nbl-save", "aria-live": "polite" });
  const where = h("span", { class: "nbl-where" });
  footer.append(saveState, where);
  root.append(header, banner, itemMeta, body, controls, flagForm, nav, guidelines, help, footer);
  el.replaceChildren(root);

  const ctx = {
    model,
    root,
    config,
    window: win,
    /** Label the current item with a browser-encoded value and move on. */
    label(value) {
      const item = win.item;
      if (!item) return;
      send({ type: "label", key: item.key, value, active_ms: timer.elapsed(), ...panels.extras(item) }, true);
      win.commitCurrent("label", value);
      shown();
      render(); // paint the prefetched next item now, without waiting for the kernel
    },
    rerender: () => render(),
  };

  // Session panels: the gate/score line under the header, feedback, revealed labels and the
  // adjudication table between the item meta line and the item.
  const panels = createSessionPanels(ctx, (msg, tracked) => send(msg, tracked));
  cleanups.push(() => panels.cleanup());
  header.after(panels.nodes.line);
  itemMeta.after(panels.nodes.feedback, panels.nodes.others, panels.nodes.review);

  if (task.setup) cleanups.push(task.setup(ctx, { body, controls }));

  // ---------------------------------------------------------------- kernel messages
  function send(msg, tracked) {
    // `client` + `view` (1, 2, 3, ...) let the kernel handle this view's messages in order.
    const out = { ...msg, client, view: win.nextView(), have: win.haveKeys() };
    if (tracked) {
      seq += 1;
      out.seq = `${client}/${seq}`; // unique across views of this widget: acks are broadcast
      pending.add(out.seq);
    }
    model.send(out);
  }

  function convertPayload(payload, buffers) {
    const copy = { ...payload };
    if (payload.image && payload.image.buffer !== undefined) {
      const buf = buffers[payload.image.buffer];
      const blob = new Blob([buf instanceof DataView ? buf.buffer : buf], { type: payload.image.mime });
      const url = URL.createObjectURL(blob);
      imageUrls.add(url);
      copy.image = { url };
    }
    return copy;
  }

  function releasePayload(payload) {
    if (payload && payload.image && payload.image.url) {
      URL.revokeObjectURL(payload.image.url);
      imageUrls.delete(payload.image.url);
    }
  }

  function onCustom(msg, buffers) {
    if (msg.type === "window") {
      const before = win.current;
      const applied = win.accept(msg, {
        convert: (p) => convertPayload(p, buffers || []),
        release: releasePayload,
        client,
      });
      if (applied) {
        if (win.current !== before) shown();
        render();
        replayDeferred();
        // A window answering another view may leave out an item only this view lacks: ask.
        if (win.waiting && win.current !== null) send({ type: "hello" });
      }
    } else if (msg.type === "feedback") {
      panels.onFeedback(msg);
    } else if (msg.type === "ack") {
      for (const s of msg.seqs) pending.delete(s);
      renderSaveState();
    } else if (msg.type === "error") {
      if (msg.seq !== null && msg.seq !== undefined) pending.delete(msg.seq);
      transientError = msg.message;
      renderBanner();
    }
  }
  model.on("msg:custom", onCustom);
  cleanups.push(() => model.off("msg:custom", onCustom));

  // ---------------------------------------------------------------- actions
  function shown() {
    timer.start();
  }

  // Keys pressed while the screen waits for the kernel (after an undo, or a step past the
  // prefetched items) are kept and replayed, in order, once the item arrives, instead of being
  // dropped; while any are kept, later keys queue behind them so the order never changes.
  const deferred = [];
  const ORDERED = new Set(["label", "confirm", "skip", "undo", "next", "prev"]);

  function replayDeferred() {
    while (deferred.length && !win.waiting) perform(deferred.shift(), true);
  }

  function perform(action, replaying = false) {
    const item = win.item;
    if (!replaying && ORDERED.has(action.type) && (deferred.length || (!item && win.waiting))) {
      deferred.push(action);
      return;
    }
    if (action.type === "flag" && deferred.length) return; // its item is not on screen yet
    if (task.onAction(ctx, action, item)) return;
    switch (action.type) {
      case "next":
      case "prev": {
        const from = win.current;
        const dir = action.type === "next" ? 1 : -1;
        const key = win.step(dir);
        if (key !== null && win.current === key) send({ type: "goto", key });
        else send({ type: "nav", key: from, step: dir });
        shown();
        break;
      }
      case "skip":
        if (!item) return;
        send({ type: "skip", key: item.key, active_ms: timer.elapsed() }, true);
        win.commitCurrent("skip", null);
        shown();
        break;
      case "undo":
        send({ type: "undo" }, true);
        win.undoLocal();
        shown();
        break;
      case "flag":
        if (!item) return;
        openFlag();
        return;
      case "guidelines":
        if (config().has_guidelines) guidelines.hidden = !guidelines.hidden;
        break;
      case "help":
        showHelp = !showHelp;
        break;
      case "escape":
        showHelp = false;
        guidelines.hidden = true;
        transientError = "";
        break;
      default:
        return;
    }
    render();
  }

  function openFlag() {
    flagOpen = true;
    flagForm.hidden = false;
    flagInput.value = win.item?.flag || "";
    flagInput.focus();
  }

  function closeFlag() {
    flagOpen = false;
    flagForm.hidden = true;
    root.focus({ preventScroll: true });
  }

  cleanups.push(
    listen(flagForm, "submit", (event) => {
      event.preventDefault();
      const item = win.item;
      if (item) {
        const comment = flagInput.value;
        send({ type: "flag", key: item.key, comment }, true);
        win.setFlag(item.key, comment);
      }
      closeFlag();
      render();
    }),
    listen(flagForm.querySelector(".nbl-flag-cancel"), "click", closeFlag),
  );

  // ---------------------------------------------------------------- keyboard and mouse
  function onKeyDown(event) {
    if (shouldIsolate(event)) event.stopPropagation();
    timer.activity();
    if (flagOpen) {
      if (event.key === "Escape") {
        event.preventDefault();
        closeFlag();
      }
      return; // typing a comment
    }
    const target = event.target;
    if (target && target !== root && (target.tagName === "INPUT" || target.tagName === "TEXTAREA")) return;
    if (panels.onKey(event, win.item) || (task.onKey && task.onKey(ctx, event, win.item))) {
      event.preventDefault();
      return;
    }
    const action = actionFor(event, task.hotkeys(config()));
    if (!action) return;
    if (action.type === "confirm" && target && target.tagName === "BUTTON" && target !== root) return;
    event.preventDefault();
    perform(action);
  }
  cleanups.push(listen(root, "keydown", onKeyDown));
  // Keys must not reach JupyterLab in any phase: stop key events that bubble out of the root.
  for (const type of ["keypress", "keyup"]) {
    cleanups.push(listen(root, type, (event) => shouldIsolate(event) && event.stopPropagation()));
  }
  const activity = () => timer.activity();
  cleanups.push(listen(root, "pointerdown", activity), listen(root, "wheel", activity, { passive: true }));
  cleanups.push(listen(root, "pointermove", activity, { passive: true }));
  cleanups.push(
    listen(document, "visibilitychange", () => {
      if (document.hidden) timer.pause();
      else timer.activity();
    }),
  );
  cleanups.push(
    listen(nav, "click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (button) perform({ type: button.dataset.action });
    }),
  );
  cleanups.push(
    listen(root, "click", (event) => {
      if (event.target === root || event.target.closest(".nbl-item")) root.focus({ preventScroll: true });
    }),
  );

  // ---------------------------------------------------------------- rendering
  function renderProgress() {
    const p = model.get("_progress") || {};
    const total = p.total || 0;
    const done = (p.labeled || 0) + (p.skipped || 0);
    progressText.textContent =
      `${p.labeled || 0} / ${total} labeled` +
      (p.skipped ? ` · ${p.skipped} skipped` : "") +
      (p.flagged ? ` · ${p.flagged} flagged` : "");
    progressBar.firstChild.style.width = total ? `${(100 * done) / total}%` : "0%";
    // (Compare hides them: counts of A and B would tell which column was on which side)
    const labels = config().hide_counts ? [] : config().labels || [];
    // A large label set sends only its most used labels ([index, count] pairs) and how many
    // labels are in use; a small one a count per label.
    const shown = p.top ? p.top.filter(([i]) => i < labels.length) : labels.map((_, i) => [i, (p.counts || [])[i] || 0]);
    counts.replaceChildren(
      ...shown.map(([i, n]) =>
        h("span", { class: "nbl-count", title: labels[i] }, h("span", { class: "nbl-count-label", text: labels[i] }), `${n}`),
      ),
    );
    if (p.top && labels.length && p.used > shown.length) {
      counts.append(h("span", { class: "nbl-count nbl-count-more", text: `+ ${p.used - shown.length} more labels used` }));
    }
  }

  function renderBanner() {
    const status = model.get("_status") || {};
    let text = "";
    if (status.state && status.state !== "ok") text = status.message || "The store is unavailable; retrying.";
    if (transientError) text = text ? `${text} · ${transientError}` : transientError;
    banner.textContent = text;
    banner.hidden = !text;
  }

  function renderSaveState() {
    const status = model.get("_status") || {};
    const unsaved = pending.size;
    if (status.state && status.state !== "ok") {
      const waiting = status.pending || unsaved;
      const parts = [];
      if (waiting || !status.failed) parts.push(`${waiting} waiting`);
      if (status.failed) parts.push(`${status.failed} refused`);
      saveState.textContent = `Not saved: ${parts.join(", ")}`;
      saveState.dataset.state = "error";
    } else if (unsaved) {
      saveState.textContent = `Saving… (${unsaved})`;
      saveState.dataset.state = "saving";
    } else {
      saveState.textContent = "All changes saved";
      saveState.dataset.state = "saved";
    }
    const c = config();
    where.textContent = `task ${c.task} · annotator ${c.annotator} · store ${c.store}`;
  }

  function renderGuidelines() {
    setSanitizedHTML(guidelines, model.get("_guidelines_html") || "");
    nav.querySelector('[data-action="guidelines"]').hidden = !config().has_guidelines;
  }

  function renderHelp() {
    help.hidden = !showHelp;
    if (!showHelp) return;
    const rows = task.helpRows ? task.helpRows(config()) : classifyHelpRows(config());
    help.replaceChildren(
      h("table", {}, ...rows.map(([k, v]) => h("tr", {}, h("td", {}, h("kbd", { text: k })), h("td", { text: v })))),
    );
  }

  function renderItem() {
    const c = config();
    const item = win.item;
    if (c.empty_message) {
      itemMeta.textContent = "";
      body.replaceChildren(h("div", { class: "nbl-message", text: c.empty_message }));
      controls.replaceChildren();
      root.dataset.state = "empty";
      return;
    }
    if (!item) {
      itemMeta.textContent = "";
      controls.replaceChildren();
      if (win.waiting) {
        body.replaceChildren(h("div", { class: "nbl-message nbl-loading", text: "Loading…" }));
        root.dataset.state = "loading";
      } else {
        const p = model.get("_progress") || {};
        body.replaceChildren(
          h("div", { class: "nbl-message nbl-done" },
            h("strong", { text: "All done." }),
            ` ${p.labeled || 0} labeled, ${p.skipped || 0} skipped. Press ${task.navKeys?.prev ?? "←"} to review.`),
        );
        root.dataset.state = "done";
      }
      return;
    }
    root.dataset.state = "item";
    root.dataset.key = item.key;
    const meta = [`Item ${item.payload.id}`, `#${item.rank} of ${c.total}`];
    if (item.status === "label") meta.push("labeled");
    if (item.status === "skip") meta.push("skipped");
    const idNode = h("span", { class: "nbl-item-id", text: meta.join(" · ") });
    if (item.flag !== null && item.flag !== undefined) {
      // (replaceChildren turns a null argument into the text "null": append only real nodes)
      itemMeta.replaceChildren(idNode, h("span", { class: "nbl-flag-note", text: `⚑ flagged${item.flag ? `: ${item.flag}` : ""}` }));
    } else {
      itemMeta.replaceChildren(idNode);
    }
    if (item.payload.error !== undefined) {
      // the kernel could not build this item: say why; it can still be skipped or flagged
      body.replaceChildren(h("div", { class: "nbl-message nbl-item-error", text: `This item cannot be shown: ${item.payload.error}` }));
      controls.replaceChildren();
      return;
    }
    task.renderItem(ctx, item, body);
    task.renderControls(ctx, item, controls);
  }

  function renderPanels() {
    panels.render(win.item);
  }

  function render() {
    renderProgress();
    renderBanner();
    renderSaveState();
    renderItem();
    renderPanels();
    renderHelp();
  }

  const onProgress = () => renderProgress();
  const onStatus = () => {
    renderBanner();
    renderSaveState();
  };
  const onGuidelines = () => renderGuidelines();
  const onConfig = () => render();
  model.on("change:_progress", onProgress);
  model.on("change:_status", onStatus);
  model.on("change:_guidelines_html", onGuidelines);
  model.on("change:_config", onConfig);
  cleanups.push(
    () => model.off("change:_progress", onProgress),
    () => model.off("change:_status", onStatus),
    () => model.off("change:_guidelines_html", onGuidelines),
    () => model.off("change:_config", onConfig),
  );

  renderGuidelines();
  render();
  send({ type: "hello" });
  shown();
  root.focus({ preventScroll: true });

  return () => {
    for (const cleanup of cleanups.splice(0)) cleanup();
    for (const url of imageUrls) URL.revokeObjectURL(url);
    imageUrls.clear();
    if (task.cleanup) task.cleanup(ctx);
  };
}
