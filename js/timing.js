// Active time on one item: the sum of gaps between activity, leaving out gaps longer than the
// idle limit (the annotator was away) and time while the page was hidden.

export function createActiveTimer({ idleMs = 60000, now = () => performance.now() } = {}) {
  let total = 0;
  let last = null;

  return {
    /** Start timing a newly shown item. */
    start() {
      total = 0;
      last = now();
    },
    /** Record activity (a key, a click, a mouse move). */
    activity() {
      const t = now();
      if (last !== null) {
        const gap = t - last;
        if (gap > 0 && gap <= idleMs) total += gap;
      }
      last = t;
    },
    /** The page was hidden: time until the next activity is not counted. */
    pause() {
      this.activity();
      last = null;
    },
    /** Active milliseconds so far (counts the time since the last activity if not idle). */
    elapsed() {
      this.activity();
      return Math.round(total);
    },
  };
}
