// The labeler's layout: every node of the shell, built once. Nothing here listens or draws.

import { h } from "./dom.js";

function navButton(label, key, action) {
  return h("button", {
    type: "button",
    class: "nbl-btn nbl-nav-btn",
    "data-action": action,
    "aria-label": label,
    "aria-keyshortcuts": key,
    title: `${label} (${key})`,
  }, label, h("kbd", { text: key }));
}

/**
 * Build the shell's nodes for `task` (its title and navigation keys) and the task named in
 * `config`; `flagForm` is the flag form's node. Returns the nodes by name; `root` holds them all.
 */
export function buildLayout(task, config, flagForm) {
  const root = h("div", {
    class: "nbl-root",
    tabindex: "0",
    role: "group",
    "aria-label": `${task.title} — task ${config.task}`,
    "data-lm-suppress-shortcuts": "true",
  });
  const header = h("div", { class: "nbl-header" });
  const progressText = h("div", { class: "nbl-progress", "aria-live": "polite" });
  const progressBar = h("div", { class: "nbl-progress-bar" }, h("div", { class: "nbl-progress-fill" }));
  const counts = h("div", { class: "nbl-counts" });
  header.append(progressText, progressBar, counts);
  const banner = h("div", { class: "nbl-banner", role: "alert", hidden: true });
  const why = h("div", { class: "nbl-why", hidden: true });
  const itemMeta = h("div", { class: "nbl-item-meta" });
  const body = h("div", { class: "nbl-item" });
  const controls = h("div", { class: "nbl-controls" });
  const nav = h("div", { class: "nbl-nav" });
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
  root.append(header, banner, why, itemMeta, body, controls, flagForm, nav, guidelines, help, footer);
  return { root, header, progressText, progressBar, counts, banner, why, itemMeta, body, controls, nav, guidelines, help, saveState, where };
}
