// Pure geometry of box drawing, in image pixels. A rect is [x, y, w, h]; a view transform is
// {scale, tx, ty}: screen = image * scale + t (inside the canvas).

/** The rect spanned by two corners (any order). */
export function rectFrom(a, b) {
  return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.abs(b[0] - a[0]), Math.abs(b[1] - a[1])];
}

/** The rect clipped to the image (0..W, 0..H). */
export function clampRect([x, y, w, h], W, H) {
  const x0 = Math.max(0, Math.min(W, x));
  const y0 = Math.max(0, Math.min(H, y));
  const x1 = Math.max(0, Math.min(W, x + w));
  const y1 = Math.max(0, Math.min(H, y + h));
  return [x0, y0, Math.max(0, x1 - x0), Math.max(0, y1 - y0)];
}

/** The rect moved by (dx, dy), kept whole inside the image. */
export function moveRect([x, y, w, h], dx, dy, W, H) {
  return [Math.max(0, Math.min(W - w, x + dx)), Math.max(0, Math.min(H - h, y + dy)), w, h];
}

export const HANDLES = ["nw", "n", "ne", "e", "se", "s", "sw", "w"];

/** Image-pixel position of a handle of a rect. */
export function handlePoint([x, y, w, h], handle) {
  const hx = handle.includes("w") ? x : handle.includes("e") ? x + w : x + w / 2;
  const hy = handle.includes("n") ? y : handle.includes("s") ? y + h : y + h / 2;
  return [hx, hy];
}

/** The handle of `rect` within `tolerance` (image pixels) of `p`, or null. */
export function handleAt(rect, p, tolerance) {
  for (const handle of HANDLES) {
    const [hx, hy] = handlePoint(rect, handle);
    if (Math.abs(p[0] - hx) <= tolerance && Math.abs(p[1] - hy) <= tolerance) return handle;
  }
  return null;
}

/** The rect with `handle` dragged by (dx, dy); edges may cross (the rect is re-normalised). */
export function resizeRect([x, y, w, h], handle, dx, dy) {
  let [x0, y0, x1, y1] = [x, y, x + w, y + h];
  if (handle.includes("w")) x0 += dx;
  if (handle.includes("e")) x1 += dx;
  if (handle.includes("n")) y0 += dy;
  if (handle.includes("s")) y1 += dy;
  return rectFrom([x0, y0], [x1, y1]);
}

/** Index of the smallest box containing `p` (the one on top for the user), or -1. */
export function boxAt(rects, p) {
  let best = -1;
  for (let i = 0; i < rects.length; i++) {
    const [x, y, w, h] = rects[i];
    if (p[0] >= x && p[0] <= x + w && p[1] >= y && p[1] <= y + h && (best < 0 || w * h < rects[best][2] * rects[best][3])) best = i;
  }
  return best;
}

/** The transform that fits a W×H image in a cw×ch canvas, centred. */
export function fit(W, H, cw, ch) {
  const scale = Math.min(cw / W, ch / H);
  return { scale, tx: (cw - W * scale) / 2, ty: (ch - H * scale) / 2 };
}

/** Zoom by `factor` keeping the canvas point (cx, cy) still; scale kept within [min, max]. */
export function zoomAt(t, factor, cx, cy, min = 0.02, max = 40) {
  const scale = Math.max(min, Math.min(max, t.scale * factor));
  const k = scale / t.scale;
  return { scale, tx: cx - (cx - t.tx) * k, ty: cy - (cy - t.ty) * k };
}

/** Canvas point -> image point. */
export function toImage(t, cx, cy) {
  return [(cx - t.tx) / t.scale, (cy - t.ty) / t.scale];
}

/** Round image coordinates for storage (1/100 px; the kernel keeps 1/1000). */
export function roundRect(r) {
  return r.map((v) => Math.round(v * 100) / 100);
}
