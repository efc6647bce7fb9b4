// What a session adds around any labeling widget: the session line (calibration phase, learner
// score, notices), gold feedback after a submission (training mode), the other annotators'
// labels once the owner reveals them, and the adjudication panel (every annotator's value,
// comment and time, "Use" buttons, a rationale and "Ambiguous"). Everything is text.

import { h, listen } from "./dom.js";

/** Seconds (one decimal) from milliseconds, or "—". */
export function formatSeconds(ms) {
  return ms === null || ms === undefined ? "—" : `${(ms / 1000).toFixed(1)} s`;
}

/** The session line: the gate message, a notice, and the learner score. */
export function sessionLine(state) {
  const parts = [];
  if (state && state.message) parts.push(state.message);
  if (state && state.notice) parts.push(state.notice);
  if (state && state.score && state.score.answered) parts.push(`Score: ${state.score.right} / ${state.score.answered} right`);
  return parts.join(" · ");
}

/** One annotator's row of the adjudication table: "Use" (Alt+n), who, the label, the comment
 * and the time. */
function reviewRow(row, i) {
  return h("tr", { "data-annotator": row.annotator },
    h("td", {},
      row.value === null || row.value === undefined
        ? ""
        : h("button", {
            type: "button",
            class: "nbl-btn nbl-use",
            "data-index": String(i),
            title: `Use ${row.annotator}'s label (Alt+${i + 1})`,
            "aria-keyshortcuts": `Alt+${i + 1}`,
          }, "Use", h("kbd", { text: `Alt+${i + 1}` })),
    ),
    h("td", { text: row.annotator }),
    h("td", { class: "nbl-review-value", text: row.text }),
    h("td", { class: "nbl-review-comment", text: row.comment || "" }),
    h("td", { text: formatSeconds(row.active_ms) }),
  );
}

/**
 * Create the panels. `ctx` is the labeler context (label, window); `send(msg, tracked)` sends
 * to the kernel. Returns {nodes, render(item), onFeedback(msg), onKey(event, item), extras(item),
 * cleanup()}.
 */
export function createSessionPanels(ctx, send) {
  const line = h("div", { class: "nbl-session", "aria-live": "polite", hidden: true });
  const feedback = h("div", { class: "nbl-feedback", role: "status", hidden: true });
  const others = h("div", { class: "nbl-others", hidden: true });
  const review = h("div", { class: "nbl-review", hidden: true });
  const table = h("table", { class: "nbl-review-table" });
  const rationale = h("input", {
    type: "text",
    class: "nbl-rationale",
    placeholder: "Rationale for the decision (optional)",
    "aria-label": "Rationale",
    maxlength: "5000",
  });
  const ambiguous = h("button", {
    type: "button",
    class: "nbl-btn nbl-ambiguous",
    title: "No label fits: mark the item ambiguous (Alt+A)",
    "aria-keyshortcuts": "Alt+A",
  }, "Ambiguous", h("kbd", { text: "Alt+A" }));
  review.append(
    h("div", { class: "nbl-review-title", text: "Annotators' labels — use one, or label anew" }),
    table,
    h("div", { class: "nbl-review-actions" }, rationale, ambiguous),
  );
  let lastFeedback = null; // {key, correct, gold, explanation} of the latest submission
  let reviewKey = null;
  const cleanups = [];

  function renderLine() {
    const text = sessionLine(ctx.model.get("_session"));
    line.textContent = text;
    line.hidden = !text;
  }

  function renderFeedback(item) {
    // On a submitted gold item, its own feedback; elsewhere the latest submission's.
    const fb = item && item.feedback ? { key: item.key, ...item.feedback } : lastFeedback;
    if (!fb) {
      feedback.hidden = true;
      return;
    }
    const about = item && fb.key === item.key ? "This item" : `Item ${fb.key}`;
    feedback.dataset.correct = fb.correct ? "true" : "false";
    feedback.replaceChildren(
      h("strong", { text: fb.correct ? `✓ ${about}: right` : `✗ ${about}: the answer is ${fb.gold}` }),
      fb.explanation ? h("div", { class: "nbl-explanation", text: fb.explanation }) : "",
    );
    feedback.hidden = false;
  }

  function renderOthers(item) {
    const list = item && item.others;
    if (!list || !list.length) {
      others.hidden = true;
      return;
    }
    others.replaceChildren(
      h("span", { class: "nbl-others-title", text: "Other annotators: " }),
      ...list.map((o, i) =>
        h("span", { class: "nbl-other" }, i ? " · " : "", h("b", { text: o.annotator }), ` ${o.text}`),
      ),
    );
    others.hidden = false;
  }

  function renderReview(item) {
    const rows = item && item.review;
    if (!rows) {
      review.hidden = true;
      reviewKey = null;
      return;
    }
    if (reviewKey !== item.key) rationale.value = "";
    reviewKey = item.key;
    table.replaceChildren(
      h("tr", {}, ...["", "Annotator", "Label", "Comment", "Time"].map((t) => h("th", { text: t }))),
      ...rows.map(reviewRow),
    );
    review.hidden = false;
  }

  function use(index) {
    const item = ctx.window.item;
    const row = item && item.review && item.review[index];
    if (row && row.value !== null && row.value !== undefined) ctx.label(row.value);
  }

  function markAmbiguous() {
    const item = ctx.window.item;
    if (!item || !item.review) return;
    send({ type: "ambiguous", key: item.key, comment: rationale.value }, true);
    ctx.window.commitCurrent("skip", null);
    ctx.rerender();
  }

  cleanups.push(
    listen(table, "click", (event) => {
      const button = event.target.closest("button[data-index]");
      if (button) use(Number(button.dataset.index));
    }),
    listen(ambiguous, "click", markAmbiguous),
  );
  const onSession = () => renderLine();
  ctx.model.on("change:_session", onSession);
  cleanups.push(() => ctx.model.off("change:_session", onSession));

  return {
    nodes: { line, feedback, others, review },
    render(item) {
      renderLine();
      renderFeedback(item);
      renderOthers(item);
      renderReview(item);
    },
    onFeedback(msg) {
      lastFeedback = msg;
      renderFeedback(ctx.window.item);
    },
    /** Alt+1… use an annotator's label, Alt+A marks ambiguous (adjudication only). */
    onKey(event, item) {
      if (!item || !item.review || !event.altKey || event.ctrlKey || event.metaKey) return false;
      const digit = /^Digit([1-9])$/.exec(event.code || "");
      if (digit) {
        use(Number(digit[1]) - 1);
        return true;
      }
      if (event.code === "KeyA") {
        markAmbiguous();
        return true;
      }
      return false;
    },
    /** Extra fields of a label message: the rationale when adjudicating. */
    extras(item) {
      return item && item.review && rationale.value ? { comment: rationale.value } : {};
    },
    cleanup() {
      for (const c of cleanups.splice(0)) c();
    },
  };
}
