// Pure logic of the Compare task: which key means which choice, the draft and its rubric
// scores, what blocks a submission, and the ranking's tie groups.

/**
 * The choice a key press means ("left", "right", "tie", "both_bad") or null. Digits are read
 * from `event.code`, so Shift+1 (which types "!" on many layouts) still means "left".
 */
export function choiceForKey(event) {
  switch (event.code || "") {
    case "Digit1":
    case "Numpad1":
      return "left";
    case "Digit2":
    case "Numpad2":
      return "right";
    case "Digit3":
    case "Numpad3":
      return "tie";
    case "Digit4":
    case "Numpad4":
      return "both_bad";
    default:
      break;
  }
  if (event.key === "ArrowLeft") return "left";
  if (event.key === "ArrowRight") return "right";
  return null;
}

/** Why the draft cannot be submitted yet ("" when it can). `config` has `rubric`,
 * `require_justification` and `min_justification`. */
export function blockReason(draft, config) {
  if (!draft.choice) return "Choose first: 1 / ← left better, 2 / → right better, 3 tie, 4 both bad.";
  const missing = (config.rubric || []).filter((dim) => !(draft.rubric[dim]?.left && draft.rubric[dim]?.right));
  if (missing.length) return `Score both responses on ${missing.join(", ")} (press r, then 1–5).`;
  const need = config.require_justification ? Math.max(1, config.min_justification || 0) : 0;
  const have = (draft.justification || "").trim().length;
  if (have < need) {
    return `A justification of at least ${need} character${need === 1 ? "" : "s"} is required (${have} so far; press j).`;
  }
  return "";
}

/** The draft of `item`: its stored value's choice, strength, rubric scores and justification. */
export function newCompareDraft(item) {
  const v = item.value || {};
  return {
    key: item.key,
    choice: v.choice ?? null,
    strength: v.strength ?? 1,
    rubric: JSON.parse(JSON.stringify(v.rubric || {})),
    justification: v.justification || "",
    cursor: null, // {row, side} while scoring the rubric with the keyboard
    reason: "",
  };
}

/** The draft in `state` for `item`, started anew when another item is on screen. */
export function compareDraftFor(state, item) {
  if (!state.draft || state.draft.key !== item.key) state.draft = newCompareDraft(item);
  return state.draft;
}

/** Score `side` ("left" or "right") of rubric dimension `dimension` with `score` (1-5). */
export function scoreRubric(draft, dimension, side, score) {
  draft.rubric[dimension] = { ...(draft.rubric[dimension] || {}), [side]: score };
  draft.reason = "";
}

/**
 * A key while the rubric cursor is on (`draft.cursor`): 1-5 scores the cell and moves on (the
 * right score of the row, then the left of the next; off after the last), arrows move, Esc
 * leaves. `rubric` is the list of dimensions. Returns whether the key was handled.
 */
export function rubricKey(draft, rubric, event) {
  const cursor = draft.cursor;
  const rows = rubric.length;
  if (/^Digit[1-5]$/.test(event.code)) {
    scoreRubric(draft, rubric[cursor.row], cursor.side, Number(event.code.slice(5)));
    if (cursor.side === "left") cursor.side = "right";
    else if (cursor.row + 1 < rows) draft.cursor = { row: cursor.row + 1, side: "left" };
    else draft.cursor = null;
  } else if (event.key === "ArrowLeft" || event.key === "ArrowRight") cursor.side = event.key === "ArrowLeft" ? "left" : "right";
  else if (event.key === "ArrowUp") cursor.row = Math.max(0, cursor.row - 1);
  else if (event.key === "ArrowDown") cursor.row = Math.min(rows - 1, cursor.row + 1);
  else if (event.key === "Escape") draft.cursor = null;
  else return false;
  draft.reason = "";
  return true;
}

// ---------------------------------------------------------------- ranking
// A ranking is a list of tie groups, best first: [[2], [0, 1]] = response 2 first, 0 and 1 tied.

/** The ranking with `x` moved one place up (`step` -1) or down (+1), out of its tie group first. */
export function move(groups, x, step) {
  const out = groups.map((g) => g.slice());
  const i = out.findIndex((g) => g.includes(x));
  if (i < 0) return out;
  if (out[i].length > 1) {
    out[i] = out[i].filter((y) => y !== x);
    out.splice(step < 0 ? i : i + 1, 0, [x]);
  } else if (out[i + step]) {
    [out[i], out[i + step]] = [out[i + step], out[i]];
  }
  return out;
}

export const moveUp = (groups, x) => move(groups, x, -1);
export const moveDown = (groups, x) => move(groups, x, 1);

/** Tie `x` with the group above it, or, if it is tied, untie it (it goes just below). */
export function toggleTie(groups, x) {
  const out = groups.map((g) => g.slice());
  const i = out.findIndex((g) => g.includes(x));
  if (i < 0) return out;
  if (out[i].length > 1) {
    out[i] = out[i].filter((y) => y !== x);
    out.splice(i + 1, 0, [x]);
  } else if (i > 0) {
    out[i - 1].push(x);
    out.splice(i, 1);
  }
  return out;
}

/** Rank (1 = best) of each member; tied members share the best rank of their group. */
export function ranks(groups) {
  const out = new Map();
  let rank = 1;
  for (const g of groups) {
    for (const x of g) out.set(x, rank);
    rank += g.length;
  }
  return out;
}
