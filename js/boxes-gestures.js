// Pointer gestures on the Boxes canvas: draw (drag, or two clicks), move, resize by a handle,
// pick a box or a suggestion, pan (Space or the middle button) and wheel zoom. `st` is the
// task's state (boxes.js): the draft, the active label, the view, the gesture in progress.

import { colour } from "./chips.js";
import { listen } from "./dom.js";
import { boxAt, clampRect, handleAt, moveRect, rectFrom, resizeRect } from "./boxes-geometry.js";
import { drawBoxes, moveCrosshair, panView, pointOf, setRect, zoomView } from "./boxes-canvas.js";
import { addBox, draftFor, pickSuggestion, placeBox, tooSmall, tooSmallNotice } from "./boxes-draft.js";

/** The gesture a press at image point `p` starts (null: none), picking what it lands on. */
function startGesture(st, ctx, event, d, p) {
  const { view } = st;
  if (st.spaceDown || event.button === 1) return { kind: "pan", x: event.clientX, y: event.clientY, t: { ...view.t } };
  const selected = d.boxes[d.selected];
  const handle = selected && !selected.hidden && !selected.locked ? handleAt(selected.r, p, 6 / view.t.scale) : null;
  if (handle) return { kind: "resize", index: d.selected, handle, start: p, orig: selected.r.slice() };
  const sugg = event.target.closest?.("[data-suggestion]");
  if (sugg) {
    pickSuggestion(d, Number(sugg.dataset.suggestion));
    ctx.rerender();
    return null;
  }
  const hit = boxAt(d.boxes.map((b) => (b.hidden ? [-1, -1, 0, 0] : b.r)), p);
  d.pickedSuggestion = null;
  if (hit < 0) {
    d.selected = -1;
    return { kind: "draw", start: p, now: p };
  }
  d.selected = hit;
  ctx.rerender();
  return d.boxes[hit].locked ? null : { kind: "move", index: hit, start: p, orig: d.boxes[hit].r.slice() };
}

function onPointerDown(st, ctx, event) {
  const item = ctx.window.item;
  if (!item || !st.view || !st.view.layer || event.button > 1) return;
  const d = draftFor(st, item);
  const p = pointOf(st.view, event);
  event.preventDefault();
  ctx.root.focus({ preventScroll: true });
  st.view.canvas.setPointerCapture(event.pointerId);
  st.gesture = startGesture(st, ctx, event, d, p);
}

/** The rect a draw, move or resize gesture has reached at image point `p`. */
function gestureRect(g, p, W, H) {
  const dx = p[0] - g.start[0];
  const dy = p[1] - g.start[1];
  if (g.kind === "draw") return clampRect(rectFrom(g.start, p), W, H);
  if (g.kind === "move") return moveRect(g.orig, dx, dy, W, H);
  return clampRect(resizeRect(g.orig, g.handle, dx, dy), W, H);
}

function onPointerMove(st, ctx, event) {
  const { view, gesture: g } = st;
  if (!view || !view.layer) return;
  const p = pointOf(view, event);
  moveCrosshair(view, p);
  if (!g) return;
  if (g.kind === "pan") {
    panView(view, g.t, event.clientX - g.x, event.clientY - g.y);
    return;
  }
  g.now = p;
  g.rect = gestureRect(g, p, view.W, view.H);
  // the frame-rate path: one rect's attributes, nothing else
  const node = g.kind === "draw" ? view.preview : view.layer.querySelector(`[data-index="${g.index}"] rect`);
  if (g.kind === "draw") {
    node.setAttribute("visibility", "visible");
    node.setAttribute("stroke", colour(st.active));
  }
  if (node) setRect(node, g.rect);
  const item = ctx.window.item;
  if (item && draftFor(st, item) && g.kind !== "draw") {
    // handles follow after the gesture; hide them meanwhile
    for (const handle of view.layer.querySelectorAll(".nbl-box-handle")) handle.setAttribute("visibility", "hidden");
  }
}

/** A draw gesture ended: a box (dragged, or the second click), a first corner, or a notice. */
function endDraw(st, ctx, event, d, g, moved, min) {
  const { view } = st;
  const bounds = { min, W: view.W, H: view.H };
  if (moved && !tooSmall(g.rect, min)) {
    d.corner = null;
    addBox(d, g.rect, st.active, bounds);
  } else if (moved) {
    d.notice = tooSmallNotice(min);
  } else if (d.corner) {
    // a click: the second corner of a two-click box
    const r = rectFrom(d.corner, pointOf(view, event));
    d.corner = null;
    addBox(d, r, st.active, bounds);
  } else {
    d.corner = g.start;
    d.notice = "First corner set: click the opposite corner (Esc cancels).";
  }
  ctx.rerender();
}

function onPointerUp(st, ctx, event) {
  const { view, gesture: g } = st;
  if (!g || !view) return;
  const item = ctx.window.item;
  st.gesture = null;
  view.preview.setAttribute("visibility", "hidden");
  if (!item || g.kind === "pan") return;
  const d = draftFor(st, item);
  const min = ctx.config().min_side || 2;
  const slop = 1 / view.t.scale;
  const moved = g.rect && (Math.abs(g.now[0] - g.start[0]) > slop || Math.abs(g.now[1] - g.start[1]) > slop);
  if (g.kind === "draw") {
    endDraw(st, ctx, event, d, g, moved, min);
    return;
  }
  if (moved) placeBox(d, g.index, g.rect, min);
  ctx.rerender();
}

function onWheel(st, ctx, event) {
  const item = ctx.window.item;
  if (!item || !st.view || !st.view.layer) return;
  event.preventDefault();
  const rect = st.view.canvas.getBoundingClientRect();
  zoomView(st.view, Math.exp(-event.deltaY * 0.0015), event.clientX - rect.left, event.clientY - rect.top);
  drawBoxes(st.view, draftFor(st, item), ctx.config().labels); // handles and label sizes follow the zoom
}

/** Listen to the pointer and the wheel on the canvas of `st.view`; returns the cleanups. */
export function listenToCanvas(st, ctx) {
  const { canvas } = st.view;
  return [
    listen(canvas, "pointerdown", (e) => onPointerDown(st, ctx, e)),
    listen(canvas, "pointermove", (e) => onPointerMove(st, ctx, e)),
    listen(canvas, "pointerup", (e) => onPointerUp(st, ctx, e)),
    listen(canvas, "pointercancel", (e) => onPointerUp(st, ctx, e)),
    listen(canvas, "wheel", (e) => onWheel(st, ctx, e), { passive: false }),
  ];
}
