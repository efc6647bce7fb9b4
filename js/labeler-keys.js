// Keys pressed while the screen waits for the kernel (after an undo, or a step past the
// prefetched items) are kept and replayed, in order, once the item arrives, instead of being
// dropped; while any are kept, later keys queue behind them so the order never changes.
// Pure logic, no DOM.

/** The actions whose order matters: they are kept while the screen waits. */
export const ORDERED_ACTIONS = new Set(["label", "confirm", "skip", "undo", "next", "prev"]);

/** Create the queue of kept actions. */
export function createKeptActions() {
  const kept = [];
  return {
    /** How many actions are kept. */
    get size() {
      return kept.length;
    },
    /**
     * Keep `action` if it must wait: it is ordered and others are kept, or no item is on screen
     * while the kernel is asked for one. Returns whether it was kept.
     */
    keep(action, { hasItem, waiting }) {
      if (!ORDERED_ACTIONS.has(action.type) || !(kept.length || (!hasItem && waiting))) return false;
      kept.push(action);
      return true;
    },
    /** Run the kept actions in order while `isWaiting()` is false. */
    replay(isWaiting, run) {
      while (kept.length && !isWaiting()) run(kept.shift());
    },
  };
}
