// The text selection inside a widget, wherever the widget is drawn: in the page itself
// (JupyterLab, Notebook 7, Voilà) or inside a shadow root (marimo), where
// window.getSelection() reports the shadow host, not the selected text.

/**
 * What is selected inside the tree that holds `node` (its document or its shadow root):
 *   null                                  nothing is selected (or only a caret)
 *   {range: {startContainer, startOffset, endContainer, endOffset}, clear}
 *                                         the selected range, in document order
 *   {range: null, clear}                  something is selected but the browser does not say
 *                                         where in this tree (no way to read a shadow root's
 *                                         selection): the caller tells the annotator
 * `clear()` empties the selection.
 *
 * Inside a shadow root the range comes from `Selection.getComposedRanges` (the standard; the
 * `{shadowRoots}` form, then the older positional one) or the shadow root's own `getSelection()`
 * (Chromium), whichever gives a range inside the tree.
 */
export function readSelection(node, win = globalThis.window) {
  const selection = win.getSelection();
  if (!selection) return null;
  const root = node.getRootNode();
  const clear = () => {
    selection.removeAllRanges();
    if (root.host && typeof root.getSelection === "function") root.getSelection()?.removeAllRanges();
  };
  if (!root.host) {
    // the page's own selection: it is where the text is
    if (selection.isCollapsed || selection.rangeCount === 0) return null;
    return { range: selection.getRangeAt(0), clear };
  }
  const inside = (range) => !!range && !range.collapsed && root.contains(range.startContainer) && root.contains(range.endContainer);
  for (const read of [
    () => selection.getComposedRanges({ shadowRoots: [root] })[0],
    () => selection.getComposedRanges(root)[0],
    () => {
      const own = root.getSelection();
      return own && own.rangeCount ? own.getRangeAt(0) : null;
    },
  ]) {
    let range = null;
    try {
      range = read();
    } catch {
      continue; // this browser lacks that way of asking
    }
    if (inside(range)) return { range, clear };
  }
  // a selection the browser will not place in this tree: a caret is nothing, text is a problem
  const selected = selection.type === "Range" || !selection.isCollapsed || String(selection) !== "";
  return selected ? { range: null, clear } : null;
}
