// Drawing the shell from the model and the item window: progress, banner, save state,
// guidelines, help, and the item (or the empty, loading and done screens). Each function draws
// one part from `shell` (see labeler.js); the task draws the item itself and its controls.

import { h, setSanitizedHTML } from "./dom.js";
import { classifyHelpRows } from "./keymap.js";
import { bannerText, countsShown, doneLine, flagNote, itemMetaLine, progressLine, progressWidth, saveState, whereLine, whyLine } from "./labeler-status.js";

export function renderProgress({ model, config, dom }) {
  const p = model.get("_progress") || {};
  dom.progressText.textContent = progressLine(p);
  dom.progressBar.firstChild.style.width = progressWidth(p);
  // (Compare hides them: counts of A and B would tell which column was on which side)
  const labels = config().hide_counts ? [] : config().labels || [];
  const { shown, more } = countsShown(p, labels);
  dom.counts.replaceChildren(
    ...shown.map(([i, n]) =>
      h("span", { class: "nbl-count", title: labels[i] }, h("span", { class: "nbl-count-label", text: labels[i] }), `${n}`),
    ),
  );
  if (more) dom.counts.append(h("span", { class: "nbl-count nbl-count-more", text: `+ ${more} more labels used` }));
}

export function renderBanner({ model, ui, dom }) {
  const text = bannerText(model.get("_status") || {}, ui.transientError, model.get("_suggest") || {});
  dom.banner.textContent = text;
  dom.banner.hidden = !text;
}

export function renderSaveState({ model, config, channel, dom }) {
  const { text, state } = saveState(model.get("_status") || {}, channel.pending.size);
  dom.saveState.textContent = text;
  dom.saveState.dataset.state = state;
  dom.where.textContent = whereLine(config());
  dom.where.title = `store: ${config().store}`; // the full location on hover
}

export function renderGuidelines({ model, config, dom }) {
  setSanitizedHTML(dom.guidelines, model.get("_guidelines_html") || "");
  dom.nav.querySelector('[data-action="guidelines"]').hidden = !config().has_guidelines;
}

export function renderHelp({ task, config, ui, dom }) {
  dom.help.hidden = !ui.showHelp;
  if (!ui.showHelp) return;
  const rows = task.helpRows ? task.helpRows(config()) : classifyHelpRows(config());
  dom.help.replaceChildren(
    h("table", {}, ...rows.map(([k, v]) => h("tr", {}, h("td", {}, h("kbd", { text: k })), h("td", { text: v })))),
  );
}

/** No item on screen: the task's empty message, "Loading…" or "All done." */
function renderNoItem({ model, task, config, win, dom }) {
  const { root, itemMeta, body, controls } = dom;
  itemMeta.textContent = "";
  renderWhy(dom, null);
  controls.replaceChildren();
  const emptyMessage = config().empty_message;
  if (emptyMessage) {
    body.replaceChildren(h("div", { class: "nbl-message", text: emptyMessage }));
    root.dataset.state = "empty";
  } else if (win.waiting) {
    body.replaceChildren(h("div", { class: "nbl-message nbl-loading", text: "Loading…" }));
    root.dataset.state = "loading";
  } else {
    const p = model.get("_progress") || {};
    body.replaceChildren(
      h("div", { class: "nbl-message nbl-done" }, h("strong", { text: "All done." }), doneLine(p, task.navKeys?.prev ?? "←")),
    );
    root.dataset.state = "done";
  }
}

/** The line under the header saying why this item is served (active ordering only). */
function renderWhy(dom, item) {
  const text = whyLine(item);
  dom.why.textContent = text;
  dom.why.hidden = !text;
}

function renderItemMeta({ config, dom }, item) {
  const idNode = h("span", { class: "nbl-item-id", text: itemMetaLine(item, config().total) });
  if (item.flag !== null && item.flag !== undefined) {
    // (replaceChildren turns a null argument into the text "null": append only real nodes)
    dom.itemMeta.replaceChildren(idNode, h("span", { class: "nbl-flag-note", text: flagNote(item.flag) }));
  } else {
    dom.itemMeta.replaceChildren(idNode);
  }
}

export function renderItem(shell) {
  const { task, config, win, ctx, dom } = shell;
  const item = win.item;
  if (config().empty_message || !item) {
    renderNoItem(shell);
    return;
  }
  dom.root.dataset.state = "item";
  dom.root.dataset.key = item.key;
  renderWhy(dom, item);
  renderItemMeta(shell, item);
  if (item.payload.error !== undefined) {
    // the kernel could not build this item: say why; it can still be skipped or flagged
    dom.body.replaceChildren(h("div", { class: "nbl-message nbl-item-error", text: `This item cannot be shown: ${item.payload.error}` }));
    dom.controls.replaceChildren();
    return;
  }
  task.renderItem(ctx, item, dom.body);
  task.renderControls(ctx, item, dom.controls);
}

/** Draw everything that depends on the item on screen (guidelines are drawn on change only). */
export function renderAll(shell) {
  renderProgress(shell);
  renderBanner(shell);
  renderSaveState(shell);
  renderItem(shell);
  shell.panels.render(shell.win.item);
  renderHelp(shell);
}
