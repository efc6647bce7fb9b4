// Boxes: draw bounding boxes on an image. Everything is drawn in image pixels: an SVG overlay
// whose viewBox is the image's full-resolution size sits on the image inside one transformed
// stage (zoom and pan are a CSS transform of that stage), so a pointer position maps to image
// pixels with one division and the stored boxes never depend on the zoom.

import { colour, labelChips } from "./chips.js";
import { h, listen } from "./dom.js";
import { COMMAND_LETTERS } from "./keymap.js";
import { mountLabeler } from "./labeler.js";
import { boxAt, clampRect, fit, handleAt, handlePoint, HANDLES, moveRect, rectFrom, resizeRect, roundRect, toImage, zoomAt } from "./boxes-geometry.js";

const SVG = "http://www.w3.org/2000/svg";
const CANVAS_HEIGHT = 480;

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

/** Label keys: 1-9, then letters not used by commands (0 is "fit", d/h/l with Shift are taken). */
function boxHotkeys(count) {
  const keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9"];
  for (const c of "abcdefghijklmnopqrstuvwxyz") if (!COMMAND_LETTERS.has(c)) keys.push(c);
  return Array.from({ length: count }, (_, i) => keys[i] ?? null);
}

function createBoxesTask() {
  let hotkeyCache = { labels: null, keys: [] };
  let draft = null;
  let active = 0;
  let view = null;
  let gesture = null;
  let spaceDown = false;
  const preloaded = new Map(); // item key -> <img> decoding or decoded ahead
  let preloadTimer = null;

  function hotkeys(config) {
    if (hotkeyCache.labels !== config.labels) hotkeyCache = { labels: config.labels, keys: boxHotkeys(config.labels.length) };
    return hotkeyCache.keys;
  }

  function draftFor(item) {
    if (!draft || draft.key !== item.key) {
      const boxes = Array.isArray(item.value) ? item.value : [];
      draft = {
        key: item.key,
        boxes: boxes.map((b) => ({ r: b.slice(0, 4), label: b[4], hidden: false, locked: false })),
        suggestions: !Array.isArray(item.value) && Array.isArray(item.payload.suggestion)
          ? item.payload.suggestion.map((b) => ({ r: b.slice(0, 4), label: b[4], state: "pending" }))
          : [],
        history: [],
        future: [],
        selected: -1,
        corner: null, // first corner of a two-click box
        notice: "",
      };
    }
    return draft;
  }

  const copy = (d) => ({ boxes: d.boxes.map((b) => ({ ...b, r: b.r.slice() })), suggestions: d.suggestions.map((s) => ({ ...s })) });
  function remember(d) {
    d.history.push(copy(d));
    if (d.history.length > 200) d.history.shift();
    d.future = [];
  }


  // ---------------------------------------------------------------- drawing
  function drawBoxes(ctx, item) {
    if (!view || !view.layer) return;
    const d = draftFor(item);
    const labels = ctx.config().labels;
    const s = view.t.scale;
    const nodes = [];
    d.suggestions.forEach((sg, i) => {
      if (sg.state !== "pending") return;
      const [x, y, w, hgt] = sg.r;
      const g = svg("g", { class: "nbl-box nbl-box-suggested", "data-suggestion": i });
      g.append(svg("rect", { x, y, width: w, height: hgt, stroke: colour(sg.label), "stroke-dasharray": "6 4", "vector-effect": "non-scaling-stroke" }));
      const text = svg("text", { x, y: y - 4 / s, "font-size": 12 / s, fill: colour(sg.label) });
      text.textContent = `${labels[sg.label] ?? "?"}?`;
      g.append(text);
      nodes.push(g);
    });
    d.boxes.forEach((b, i) => {
      if (b.hidden) return;
      const [x, y, w, hgt] = b.r;
      const g = svg("g", { class: `nbl-box${i === d.selected ? " nbl-box-selected" : ""}${b.locked ? " nbl-box-locked" : ""}`, "data-index": i });
      g.append(svg("rect", { x, y, width: w, height: hgt, stroke: colour(b.label), "vector-effect": "non-scaling-stroke" }));
      const text = svg("text", { x, y: y - 4 / s, "font-size": 12 / s, fill: colour(b.label) });
      text.textContent = labels[b.label] ?? "?";
      g.append(text);
      if (i === d.selected && !b.locked) {
        for (const handle of HANDLES) {
          const [hx, hy] = handlePoint(b.r, handle);
          const size = 8 / s;
          g.append(svg("rect", { class: "nbl-box-handle", "data-handle": handle, x: hx - size / 2, y: hy - size / 2, width: size, height: size, "vector-effect": "non-scaling-stroke" }));
        }
      }
      nodes.push(g);
    });
    if (d.corner) nodes.push(svg("circle", { class: "nbl-box-corner", cx: d.corner[0], cy: d.corner[1], r: 4 / s }));
    view.layer.replaceChildren(...nodes);
  }

  function applyTransform() {
    const { scale, tx, ty } = view.t;
    view.stage.style.transform = `translate(${tx}px, ${ty}px) scale(${scale})`;
    view.canvas.dataset.scale = String(scale);
    view.canvas.dataset.tx = String(tx);
    view.canvas.dataset.ty = String(ty);
  }

  function fitView() {
    const width = view.canvas.clientWidth || 800;
    view.t = fit(view.W, view.H, width, CANVAS_HEIGHT);
    applyTransform();
  }

  function zoom(ctx, item, factor, cx, cy) {
    const width = view.canvas.clientWidth || 800;
    view.t = zoomAt(view.t, factor, cx ?? width / 2, cy ?? CANVAS_HEIGHT / 2);
    applyTransform();
    drawBoxes(ctx, item); // handles and label sizes follow the zoom
  }

  function pointOf(event) {
    const rect = view.canvas.getBoundingClientRect();
    return toImage(view.t, event.clientX - rect.left, event.clientY - rect.top);
  }

  // ---------------------------------------------------------------- edits
  function addBox(ctx, item, r) {
    const d = draftFor(item);
    const min = ctx.config().min_side || 2;
    const clamped = clampRect(r, view.W, view.H);
    if (clamped[2] < min || clamped[3] < min) {
      d.notice = `Boxes under ${min} px are not kept.`;
      ctx.rerender();
      return;
    }
    remember(d);
    d.boxes.push({ r: roundRect(clamped), label: active, hidden: false, locked: false });
    d.selected = d.boxes.length - 1;
    d.notice = "";
    ctx.rerender();
  }

  function undo(ctx, item, redo = false) {
    const d = draftFor(item);
    const from = redo ? d.future : d.history;
    const to = redo ? d.history : d.future;
    const state = from.pop();
    if (!state) return false;
    to.push(copy(d));
    d.boxes = state.boxes;
    d.suggestions = state.suggestions;
    d.selected = -1;
    ctx.rerender();
    return true;
  }

  function confirm(ctx, item) {
    const d = draftFor(item);
    ctx.label(d.boxes.map((b) => [...roundRect(b.r), b.label]));
  }

  // ---------------------------------------------------------------- pointer gestures
  function onPointerDown(ctx, event) {
    const item = ctx.window.item;
    if (!item || !view || !view.layer || event.button > 1) return;
    const d = draftFor(item);
    const p = pointOf(event);
    event.preventDefault();
    ctx.root.focus({ preventScroll: true });
    view.canvas.setPointerCapture(event.pointerId);
    if (spaceDown || event.button === 1) {
      gesture = { kind: "pan", x: event.clientX, y: event.clientY, t: { ...view.t } };
      return;
    }
    const tolerance = 6 / view.t.scale;
    const selected = d.boxes[d.selected];
    const handle = selected && !selected.hidden && !selected.locked ? handleAt(selected.r, p, tolerance) : null;
    if (handle) {
      gesture = { kind: "resize", index: d.selected, handle, start: p, orig: selected.r.slice() };
      return;
    }
    const sugg = event.target.closest?.("[data-suggestion]");
    if (sugg) {
      d.selected = -1;
      d.pickedSuggestion = Number(sugg.dataset.suggestion);
      d.notice = "Suggested box: Enter accepts it, a label key accepts it with that label, Delete rejects it.";
      ctx.rerender();
      return;
    }
    const visible = d.boxes.map((b) => (b.hidden ? [-1, -1, 0, 0] : b.r));
    const hit = boxAt(visible, p);
    if (hit >= 0) {
      d.selected = hit;
      d.pickedSuggestion = null;
      gesture = d.boxes[hit].locked ? null : { kind: "move", index: hit, start: p, orig: d.boxes[hit].r.slice() };
      ctx.rerender();
      return;
    }
    d.selected = -1;
    d.pickedSuggestion = null;
    gesture = { kind: "draw", start: p, now: p };
  }

  function onPointerMove(ctx, event) {
    if (!view || !view.layer) return;
    const p = pointOf(event);
    view.cross.setAttribute("x1", p[0]);
    view.cross.setAttribute("x2", p[0]);
    view.crossH.setAttribute("y1", p[1]);
    view.crossH.setAttribute("y2", p[1]);
    if (!gesture) return;
    const item = ctx.window.item;
    const d = item && draftFor(item);
    if (gesture.kind === "pan") {
      view.t = { ...gesture.t, tx: gesture.t.tx + event.clientX - gesture.x, ty: gesture.t.ty + event.clientY - gesture.y };
      applyTransform();
      return;
    }
    gesture.now = p;
    let r;
    if (gesture.kind === "draw") r = clampRect(rectFrom(gesture.start, p), view.W, view.H);
    else if (gesture.kind === "move") r = moveRect(gesture.orig, p[0] - gesture.start[0], p[1] - gesture.start[1], view.W, view.H);
    else r = clampRect(resizeRect(gesture.orig, gesture.handle, p[0] - gesture.start[0], p[1] - gesture.start[1]), view.W, view.H);
    gesture.rect = r;
    // the frame-rate path: one rect's attributes, nothing else
    let node = gesture.kind === "draw" ? view.preview : view.layer.querySelector(`[data-index="${gesture.index}"] rect`);
    if (gesture.kind === "draw") {
      node.setAttribute("visibility", "visible");
      node.setAttribute("stroke", colour(active));
    }
    if (node) {
      node.setAttribute("x", r[0]);
      node.setAttribute("y", r[1]);
      node.setAttribute("width", r[2]);
      node.setAttribute("height", r[3]);
    }
    if (d && gesture.kind !== "draw") {
      // handles follow after the gesture; hide them meanwhile
      for (const handle of view.layer.querySelectorAll(".nbl-box-handle")) handle.setAttribute("visibility", "hidden");
    }
  }

  function onPointerUp(ctx, event) {
    if (!gesture || !view) return;
    const item = ctx.window.item;
    const g = gesture;
    gesture = null;
    view.preview.setAttribute("visibility", "hidden");
    if (!item || g.kind === "pan") return;
    const d = draftFor(item);
    const min = ctx.config().min_side || 2;
    const moved = g.rect && (Math.abs(g.now[0] - g.start[0]) > 1 / view.t.scale || Math.abs(g.now[1] - g.start[1]) > 1 / view.t.scale);
    if (g.kind === "draw") {
      if (moved && g.rect[2] >= min && g.rect[3] >= min) {
        d.corner = null;
        addBox(ctx, item, g.rect);
      } else if (!moved) {
        // a click: the first or second corner of a two-click box
        if (d.corner) {
          const r = rectFrom(d.corner, pointOf(event));
          d.corner = null;
          addBox(ctx, item, r);
        } else {
          d.corner = g.start;
          d.notice = "First corner set: click the opposite corner (Esc cancels).";
          ctx.rerender();
        }
      } else {
        d.notice = `Boxes under ${min} px are not kept.`;
        ctx.rerender();
      }
      return;
    }
    if (moved && g.rect && g.rect[2] >= min && g.rect[3] >= min) {
      remember(d);
      d.boxes[g.index].r = roundRect(g.rect);
    }
    ctx.rerender();
  }

  function onWheel(ctx, event) {
    const item = ctx.window.item;
    if (!item || !view || !view.layer) return;
    event.preventDefault();
    const rect = view.canvas.getBoundingClientRect();
    zoom(ctx, item, Math.exp(-event.deltaY * 0.0015), event.clientX - rect.left, event.clientY - rect.top);
  }

  // ---------------------------------------------------------------- the item
  function buildCanvas(ctx, item, body) {
    const p = item.payload;
    if (!p.image || p.image.error || !p.image.url) {
      body.replaceChildren(
        h("div", { class: "nbl-image-error", role: "img", "aria-label": "Image unavailable" },
          h("strong", { text: "This image cannot be shown: " }), h("span", { text: p.image?.error ?? "(no image)" }),
          h("div", { text: "Skip it (s) or flag it (f)." })),
      );
      view = { key: item.key, layer: null };
      return;
    }
    const canvas = h("div", { class: "nbl-box-canvas", tabindex: "-1" });
    canvas.style.height = `${CANVAS_HEIGHT}px`;
    const stage = h("div", { class: "nbl-box-stage" });
    // an image decoded ahead (see preload) paints at once; otherwise it decodes now
    const ready = preloaded.get(item.key);
    const img = ready && ready.src === p.image.url ? ready : h("img", { src: p.image.url });
    preloaded.delete(item.key);
    img.className = "nbl-box-image";
    img.decoding = "sync"; // decoded ahead: paint it in the same frame
    img.alt = `Image of item ${p.id}`;
    img.draggable = false;
    img.style.width = `${p.width}px`;
    img.style.height = `${p.height}px`;
    const overlay = svg("svg", { class: "nbl-box-svg", width: p.width, height: p.height, viewBox: `0 0 ${p.width} ${p.height}` });
    const layer = svg("g");
    const preview = svg("rect", { class: "nbl-box-preview", visibility: "hidden", "vector-effect": "non-scaling-stroke" });
    const cross = svg("line", { class: "nbl-box-cross", y1: 0, y2: p.height, "vector-effect": "non-scaling-stroke" });
    const crossH = svg("line", { class: "nbl-box-cross", x1: 0, x2: p.width, "vector-effect": "non-scaling-stroke" });
    overlay.append(layer, preview, cross, crossH);
    stage.append(img, overlay);
    canvas.append(stage);
    body.replaceChildren(canvas);
    view = { key: item.key, canvas, stage, img, svg: overlay, layer, preview, cross, crossH, W: p.width, H: p.height, t: { scale: 1, tx: 0, ty: 0 } };
    view.offs = [
      listen(canvas, "pointerdown", (e) => onPointerDown(ctx, e)),
      listen(canvas, "pointermove", (e) => onPointerMove(ctx, e)),
      listen(canvas, "pointerup", (e) => onPointerUp(ctx, e)),
      listen(canvas, "pointercancel", (e) => onPointerUp(ctx, e)),
      listen(canvas, "wheel", (e) => onWheel(ctx, e), { passive: false }),
    ];
    fitView();
  }

  /** Decode the next images while this one is being looked at, so the next one paints at once. */
  function preload(ctx, item) {
    clearTimeout(preloadTimer);
    preloadTimer = setTimeout(() => {
      const next = ctx.window.upcoming.filter((key) => key !== item.key).slice(0, 2);
      for (const key of preloaded.keys()) if (!next.includes(key)) preloaded.delete(key);
      for (const key of next) {
        const url = ctx.window.items.get(key)?.payload?.image?.url;
        if (!url || preloaded.get(key)?.src === url) continue;
        const img = new Image();
        img.src = url;
        img.decode().then(
          () => {
            img.dataset.decoded = "1"; // (read by the benchmark: this image paints without decoding)
          },
          () => {}, // a broken image shows its error when it is on screen
        );
        preloaded.set(key, img);
      }
    }, 50);
  }

  return {
    title: "Boxes",
    hotkeys,
    navKeys: { prev: "k", next: "j" },

    helpRows() {
      return [
        ["1–9, letters", "choose the label for new boxes (or relabel the selected box)"],
        ["drag · two clicks", "draw a box (corner, corner)"],
        ["click a box", "select it: drag to move, handles to resize"],
        ["Delete", "delete the selected box (Esc deselects)"],
        ["arrows", "nudge the selected box (Shift: 10 px)"],
        ["Shift+D · Shift+H · Shift+L", "duplicate · hide · lock the selected box"],
        ["wheel · + − · 0", "zoom at the cursor · zoom · fit"],
        ["Space + drag", "pan"],
        ["Enter", "confirm the image (on a suggested box: accept it)"],
        ["Backspace · Shift+Backspace", "undo · redo the last box change (then Backspace undoes the last image)"],
        ["j / k", "next / previous image"],
        ["u · s · f · g", "undo image · skip · flag · guidelines"],
      ];
    },

    setup(ctx, { controls }) {
      const offs = [
        listen(ctx.root, "keyup", (e) => {
          if (e.key === " ") spaceDown = false;
        }),
        listen(controls, "click", (event) => {
          const button = event.target.closest("button");
          const item = ctx.window.item;
          if (!button || !item) return;
          const d = draftFor(item);
          if (button.dataset.index !== undefined) this.onAction(ctx, { type: "label", index: Number(button.dataset.index) }, item);
          else if (button.dataset.box !== undefined) {
            const i = Number(button.dataset.box);
            if (button.dataset.toggle === "hidden" || button.dataset.toggle === "locked") {
              remember(d);
              d.boxes[i][button.dataset.toggle] = !d.boxes[i][button.dataset.toggle];
            } else if (button.dataset.toggle === "delete") {
              remember(d);
              d.boxes.splice(i, 1);
              d.selected = -1;
            } else d.selected = d.selected === i ? -1 : i;
            ctx.rerender();
          } else if (button.dataset.action === "confirm") confirm(ctx, item);
          else if (button.dataset.action === "fit") {
            fitView();
            drawBoxes(ctx, item);
          }
        }),
      ];
      return () => {
        offs.forEach((off) => off());
        view?.offs?.forEach((off) => off());
      };
    },

    renderItem(ctx, item, body) {
      if (!view || view.key !== item.key || !body.contains(view.canvas ?? null) || (view.layer && view.img.getAttribute("src") !== item.payload.image?.url)) {
        view?.offs?.forEach((off) => off());
        buildCanvas(ctx, item, body);
      }
      drawBoxes(ctx, item);
      preload(ctx, item);
    },

    renderControls(ctx, item, controls) {
      const config = ctx.config();
      const keys = hotkeys(config);
      const d = draftFor(item);
      const list = d.boxes.map((b, i) =>
        h("li", { class: `nbl-box-row${i === d.selected ? " nbl-box-row-selected" : ""}` },
          h("button", { type: "button", class: "nbl-btn nbl-box-pick", "data-box": i }, `${i + 1}. `, h("span", { text: config.labels[b.label] ?? "?" }),
            h("span", { class: "nbl-box-size", text: ` ${Math.round(b.r[2])}×${Math.round(b.r[3])} at ${Math.round(b.r[0])}, ${Math.round(b.r[1])}` })),
          h("button", { type: "button", class: "nbl-btn", "data-box": i, "data-toggle": "hidden", "aria-pressed": b.hidden ? "true" : "false", text: b.hidden ? "show" : "hide" }),
          h("button", { type: "button", class: "nbl-btn", "data-box": i, "data-toggle": "locked", "aria-pressed": b.locked ? "true" : "false", text: b.locked ? "unlock" : "lock" }),
          h("button", { type: "button", class: "nbl-btn", "data-box": i, "data-toggle": "delete", "aria-label": `Delete box ${i + 1}`, text: "×" })),
      );
      const pending = d.suggestions.filter((s) => s.state === "pending").length;
      const parts = [
        labelChips(config.labels, keys, active, "label for new boxes"),
        h("div", { class: "nbl-actions" },
          h("button", { type: "button", class: "nbl-btn nbl-confirm", "data-action": "confirm" }, `Confirm ${d.boxes.length} box${d.boxes.length === 1 ? "" : "es"}`, h("kbd", { text: "Enter" })),
          h("button", { type: "button", class: "nbl-btn", "data-action": "fit" }, "Fit", h("kbd", { text: "0" })),
          pending ? h("span", { class: "nbl-notice", text: `${pending} suggested box${pending === 1 ? "" : "es"} (dashed): click one to accept or reject it` }) : null),
        h("ol", { class: "nbl-box-list", "aria-label": "Boxes" }, ...list),
      ];
      if (d.notice) parts.push(h("div", { class: "nbl-notice", role: "status", text: d.notice }));
      controls.replaceChildren(...parts);
    },

    onKey(ctx, event, item) {
      if (!item || event.ctrlKey || event.metaKey || event.altKey) return false;
      const d = draftFor(item);
      const sel = d.boxes[d.selected];
      const key = event.key;
      if (key === " ") {
        spaceDown = true;
        return true;
      }
      if (key === "+" || key === "=") {
        if (view?.layer) zoom(ctx, item, 1.25);
        return true;
      }
      if (key === "-" || key === "_") {
        if (view?.layer) zoom(ctx, item, 0.8);
        return true;
      }
      if (key === "0") {
        if (view?.layer) {
          fitView();
          drawBoxes(ctx, item);
        }
        return true;
      }
      if (key === "Escape" && (d.selected >= 0 || d.corner || d.notice || d.pickedSuggestion != null)) {
        d.selected = -1;
        d.corner = null;
        d.notice = "";
        d.pickedSuggestion = null;
        ctx.rerender();
        return true;
      }
      if ((key === "Delete" || key === "Backspace") && d.pickedSuggestion != null) {
        remember(d);
        d.suggestions[d.pickedSuggestion].state = "rejected";
        d.pickedSuggestion = null;
        d.notice = "";
        ctx.rerender();
        return true;
      }
      if ((key === "Delete" || (key === "Backspace" && !event.shiftKey)) && sel) {
        remember(d);
        d.boxes.splice(d.selected, 1);
        d.selected = -1;
        ctx.rerender();
        return true;
      }
      if (key === "Backspace") return undo(ctx, item, event.shiftKey); // nothing here: the shell undoes the image
      if (sel && key.startsWith("Arrow")) {
        if (!sel.locked) {
          const step = event.shiftKey ? 10 : 1;
          const dx = key === "ArrowLeft" ? -step : key === "ArrowRight" ? step : 0;
          const dy = key === "ArrowUp" ? -step : key === "ArrowDown" ? step : 0;
          remember(d);
          sel.r = roundRect(moveRect(sel.r, dx, dy, view.W, view.H));
          ctx.rerender();
        }
        return true;
      }
      if (event.shiftKey && sel && (key === "D" || key === "H" || key === "L")) {
        remember(d);
        if (key === "D") {
          d.boxes.push({ ...sel, r: roundRect(moveRect(sel.r, 10, 10, view.W, view.H)), hidden: false, locked: false });
          d.selected = d.boxes.length - 1;
        } else if (key === "H") sel.hidden = !sel.hidden;
        else sel.locked = !sel.locked;
        ctx.rerender();
        return true;
      }
      return false;
    },

    onAction(ctx, action, item) {
      if (!item) return false;
      const d = draftFor(item);
      if (action.type === "label") {
        if (action.index >= ctx.config().labels.length) return true;
        if (d.pickedSuggestion != null) {
          acceptSuggestion(ctx, item, action.index);
          return true;
        }
        const sel = d.boxes[d.selected];
        if (sel) {
          remember(d);
          sel.label = action.index;
        }
        active = action.index;
        ctx.rerender();
        return true;
      }
      if (action.type === "confirm") {
        if (d.pickedSuggestion != null) acceptSuggestion(ctx, item, null);
        else confirm(ctx, item);
        return true;
      }
      if (action.type === "next" || action.type === "prev") draft = null;
      return false;
    },
  };

  function acceptSuggestion(ctx, item, label) {
    const d = draftFor(item);
    const s = d.suggestions[d.pickedSuggestion];
    remember(d);
    s.state = "accepted";
    d.boxes.push({ r: s.r.slice(), label: label ?? s.label, hidden: false, locked: false });
    d.pickedSuggestion = null;
    d.notice = "";
    ctx.rerender();
  }
}

export default {
  render({ model, el }) {
    return mountLabeler({ model, el }, createBoxesTask());
  },
};
