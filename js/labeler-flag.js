// The flag form: a comment box under the controls. `f` opens it, Enter flags the item, Esc or
// Cancel closes it; while it is open, keys type the comment.

import { h, listen } from "./dom.js";

/**
 * Create the form. `onFlag(comment)` flags the item on screen; `onClose()` runs whenever the
 * form closes (to give the focus back). Returns {node, open(text), close(), isOpen(), cleanup()}.
 */
export function createFlagForm({ onFlag, onClose }) {
  let open = false;
  const input = h("input", {
    type: "text",
    class: "nbl-flag-input",
    placeholder: "What is unclear about this item? (Enter to flag, Esc to cancel)",
    "aria-label": "Flag comment",
    maxlength: "5000",
  });
  const cancel = h("button", { type: "button", class: "nbl-btn nbl-flag-cancel", text: "Cancel" });
  const node = h("form", { class: "nbl-flag-form", hidden: true },
    input,
    h("button", { type: "submit", class: "nbl-btn", text: "Flag" }),
    cancel,
  );

  function close() {
    open = false;
    node.hidden = true;
    onClose();
  }

  const offs = [
    listen(node, "submit", (event) => {
      event.preventDefault();
      onFlag(input.value);
    }),
    listen(cancel, "click", close),
  ];

  return {
    node,
    /** Show the form with `text` (the item's current comment) and focus it. */
    open(text) {
      open = true;
      node.hidden = false;
      input.value = text;
      input.focus();
    },
    close,
    isOpen: () => open,
    cleanup() {
      offs.forEach((off) => off());
    },
  };
}
