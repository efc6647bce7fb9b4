// Pure logic of the Compare task: which key means which choice, and what blocks a submission.

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
