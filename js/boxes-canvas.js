// The Boxes canvas: the image and an SVG overlay whose viewBox is the image's full-resolution
// size, inside one stage that zoom and pan transform (CSS), so a pointer maps to image pixels
// with one division and stored boxes never depend on the zoom. `view` holds the nodes and the
// transform `t` ({scale, tx, ty}: image px -> canvas px) of the image on screen.

import { colour } from "./chips.js";
import { h } from "./dom.js";
import { fit, handlePoint, HANDLES, toImage, zoomAt } from "./boxes-geometry.js";

const SVG = "http://www.w3.org/2000/svg";
export const CANVAS_HEIGHT = 480;

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/** The placeholder of an image that cannot be shown; its view has no layer to draw on. */
export function showImageError(item, body) {
  const p = item.payload;
  body.replaceChildren(
    h("div", { class: "nbl-image-error", role: "img", "aria-label": "Image unavailable" },
      h("strong", { text: "This image cannot be shown: " }), h("span", { text: p.image?.error ?? "(no image)" }),
      h("div", { text: "Skip it (s) or flag it (f)." })),
  );
  return { key: item.key, layer: null };
}

/** The image of `item`: `ready`, an <img> decoded ahead for it, or a new one. */
function imageOf(item, ready) {
  const p = item.payload;
  const img = ready && ready.src === p.image.url ? ready : h("img", { src: p.image.url });
  img.className = "nbl-box-image";
  img.decoding = "sync"; // decoded ahead: paint it in the same frame
  img.alt = `Image of item ${p.id}`;
  img.draggable = false;
  img.style.width = `${p.width}px`;
  img.style.height = `${p.height}px`;
  return img;
}

/** Build the canvas of `item` into `body` (`ready`: its image decoded ahead, if any) and fit
 * the image in it. Returns the view. */
export function buildCanvas(item, body, ready) {
  const p = item.payload;
  const canvas = h("div", { class: "nbl-box-canvas", tabindex: "-1" });
  canvas.style.height = `${CANVAS_HEIGHT}px`;
  const stage = h("div", { class: "nbl-box-stage" });
  const img = imageOf(item, ready);
  const overlay = svg("svg", { class: "nbl-box-svg", width: p.width, height: p.height, viewBox: `0 0 ${p.width} ${p.height}` });
  const layer = svg("g");
  const preview = svg("rect", { class: "nbl-box-preview", visibility: "hidden", "vector-effect": "non-scaling-stroke" });
  const cross = svg("line", { class: "nbl-box-cross", y1: 0, y2: p.height, "vector-effect": "non-scaling-stroke" });
  const crossH = svg("line", { class: "nbl-box-cross", x1: 0, x2: p.width, "vector-effect": "non-scaling-stroke" });
  overlay.append(layer, preview, cross, crossH);
  stage.append(img, overlay);
  canvas.append(stage);
  body.replaceChildren(canvas);
  const view = { key: item.key, canvas, stage, img, svg: overlay, layer, preview, cross, crossH, W: p.width, H: p.height, t: { scale: 1, tx: 0, ty: 0 } };
  fitView(view);
  return view;
}

/** Whether `view` no longer shows `item` in `body` (another item, or its image changed). */
export function isStale(view, item, body) {
  return !view || view.key !== item.key || !body.contains(view.canvas ?? null) ||
    (view.layer && view.img.getAttribute("src") !== item.payload.image?.url);
}

// ---------------------------------------------------------------- zoom and pan

export function applyTransform(view) {
  const { scale, tx, ty } = view.t;
  view.stage.style.transform = `translate(${tx}px, ${ty}px) scale(${scale})`;
  view.canvas.dataset.scale = String(scale);
  view.canvas.dataset.tx = String(tx);
  view.canvas.dataset.ty = String(ty);
}

/** Fit the whole image in the canvas. */
export function fitView(view) {
  const width = view.canvas.clientWidth || 800;
  view.t = fit(view.W, view.H, width, CANVAS_HEIGHT);
  applyTransform(view);
}

/** Zoom by `factor` about the canvas point (cx, cy) (default: the canvas's centre). */
export function zoomView(view, factor, cx, cy) {
  const width = view.canvas.clientWidth || 800;
  view.t = zoomAt(view.t, factor, cx ?? width / 2, cy ?? CANVAS_HEIGHT / 2);
  applyTransform(view);
}

/** Pan: the transform `from` moved by (dx, dy) canvas pixels. */
export function panView(view, from, dx, dy) {
  view.t = { ...from, tx: from.tx + dx, ty: from.ty + dy };
  applyTransform(view);
}

/** The image point under a pointer event. */
export function pointOf(view, event) {
  const rect = view.canvas.getBoundingClientRect();
  return toImage(view.t, event.clientX - rect.left, event.clientY - rect.top);
}

// ---------------------------------------------------------------- drawing

function boxLabel(r, text, colourOf, s) {
  const node = svg("text", { x: r[0], y: r[1] - 4 / s, "font-size": 12 / s, fill: colourOf });
  node.textContent = text;
  return node;
}

function suggestionNode(sg, i, labels, s) {
  const [x, y, w, hgt] = sg.r;
  const g = svg("g", { class: "nbl-box nbl-box-suggested", "data-suggestion": i });
  g.append(svg("rect", { x, y, width: w, height: hgt, stroke: colour(sg.label), "stroke-dasharray": "6 4", "vector-effect": "non-scaling-stroke" }));
  g.append(boxLabel(sg.r, `${labels[sg.label] ?? "?"}?`, colour(sg.label), s));
  return g;
}

function boxNode(b, i, selected, labels, s) {
  const [x, y, w, hgt] = b.r;
  const g = svg("g", { class: `nbl-box${selected ? " nbl-box-selected" : ""}${b.locked ? " nbl-box-locked" : ""}`, "data-index": i });
  g.append(svg("rect", { x, y, width: w, height: hgt, stroke: colour(b.label), "vector-effect": "non-scaling-stroke" }));
  g.append(boxLabel(b.r, labels[b.label] ?? "?", colour(b.label), s));
  if (selected && !b.locked) {
    const size = 8 / s;
    for (const handle of HANDLES) {
      const [hx, hy] = handlePoint(b.r, handle);
      g.append(svg("rect", { class: "nbl-box-handle", "data-handle": handle, x: hx - size / 2, y: hy - size / 2, width: size, height: size, "vector-effect": "non-scaling-stroke" }));
    }
  }
  return g;
}

/** Draw the draft `d`'s pending suggestions, shown boxes and first corner (label names
 * `labels`); label text and handles keep their screen size at any zoom. */
export function drawBoxes(view, d, labels) {
  if (!view || !view.layer) return;
  const s = view.t.scale;
  const nodes = [];
  d.suggestions.forEach((sg, i) => {
    if (sg.state === "pending") nodes.push(suggestionNode(sg, i, labels, s));
  });
  d.boxes.forEach((b, i) => {
    if (!b.hidden) nodes.push(boxNode(b, i, i === d.selected, labels, s));
  });
  if (d.corner) nodes.push(svg("circle", { class: "nbl-box-corner", cx: d.corner[0], cy: d.corner[1], r: 4 / s }));
  view.layer.replaceChildren(...nodes);
}

/** The crosshair follows the pointer at image point `p`. */
export function moveCrosshair(view, p) {
  view.cross.setAttribute("x1", p[0]);
  view.cross.setAttribute("x2", p[0]);
  view.crossH.setAttribute("y1", p[1]);
  view.crossH.setAttribute("y2", p[1]);
}

/** The frame-rate path of a gesture: one rect's attributes, nothing else. */
export function setRect(node, r) {
  node.setAttribute("x", r[0]);
  node.setAttribute("y", r[1]);
  node.setAttribute("width", r[2]);
  node.setAttribute("height", r[3]);
}
