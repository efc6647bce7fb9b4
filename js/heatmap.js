// Pure helpers of the dashboard: heatmap colours and shares, number formatting.

/** Sequential colour-blind-safe scale (matplotlib "Blues" 0.04–0.95, as the PNG plots use). */
export const SCALE = ["#eff6fc", "#d9e7f5", "#c1d9ed", "#9cc9e1", "#6dafd7", "#4896c8", "#2979b9", "#0f5aa3", "#083c7d"];

function rgb(hex) {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Colour of a value t in [0, 1] (clamped; NaN counts as 0), as "rgb(r, g, b)". */
export function shade(t) {
  const x = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0;
  const pos = x * (SCALE.length - 1);
  const i = Math.min(SCALE.length - 2, Math.floor(pos));
  const f = pos - i;
  const [a, b] = [rgb(SCALE[i]), rgb(SCALE[i + 1])];
  const mix = a.map((v, k) => Math.round(v + (b[k] - v) * f));
  return `rgb(${mix[0]}, ${mix[1]}, ${mix[2]})`;
}

/** Black or white text, whichever reads better on the "rgb(r, g, b)" background. */
export function inkFor(colour) {
  const [r, g, b] = colour.match(/\d+/g).map(Number).map((v) => v / 255);
  const lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return lum < 0.5 ? "#ffffff" : "#1f2328";
}

/**
 * Shares of a counts matrix: normalize "none" (null), "row" (of each row), "column" or "all".
 * Returns null for "none", else a matrix of the same shape (NaN where the total is 0).
 */
export function shares(counts, normalize) {
  if (!normalize || normalize === "none") return null;
  const rows = counts.map((row) => row.reduce((s, v) => s + v, 0));
  const cols = counts.length ? counts[0].map((_, j) => counts.reduce((s, row) => s + row[j], 0)) : [];
  const all = rows.reduce((s, v) => s + v, 0);
  return counts.map((row, i) =>
    row.map((v, j) => {
      const total = normalize === "row" ? rows[i] : normalize === "column" ? cols[j] : all;
      return total ? v / total : NaN;
    }),
  );
}

/** Shade intensities in [0, 1] for every cell: the share, or the count over the largest count. */
export function intensities(counts, share) {
  if (share) return share.map((row) => row.map((v) => (Number.isFinite(v) ? v : 0)));
  const max = Math.max(1, ...counts.flat());
  return counts.map((row) => row.map((v) => v / max));
}

/** A coefficient value: three decimals, a true minus sign, "—" when undefined. */
export function formatValue(value, digits = 3) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  const text = Math.abs(value).toFixed(digits);
  return value < 0 && Number(text) !== 0 ? `−${text}` : text;
}

/** "[low, high]" or "" when either end is missing. */
export function formatInterval(ci, digits = 2) {
  if (!ci || ci[0] === null || ci[1] === null || ci[0] === undefined || ci[1] === undefined) return "";
  return `[${formatValue(ci[0], digits)}, ${formatValue(ci[1], digits)}]`;
}

/** A share as a whole percentage ("42%"), "" when undefined. */
export function formatShare(value) {
  return Number.isFinite(value) ? `${Math.round(value * 100)}%` : "";
}

/** "just now", "12 s ago", "3 min ago", "2 h ago" for a time in seconds since the epoch. */
export function ago(seconds, nowMs = Date.now()) {
  if (!Number.isFinite(seconds)) return "";
  const s = Math.max(0, Math.round(nowMs / 1000 - seconds));
  if (s < 2) return "just now";
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  return `${Math.floor(s / 3600)} h ago`;
}
