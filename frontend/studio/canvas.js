// @ts-check
/**
 * The canvas engine. One 2D canvas paints the image and every shape under a single view
 * transform (zoom and pan), culled to the viewport and redrawn on the next animation frame only
 * when something changed. An SVG overlay on top holds what moves under the pointer: the selected
 * shape's handles, the shape being drawn or edited, and the crosshair.
 *
 * It knows nothing of the network: it reads the State, hands pointer input to the active tool
 * and emits 'view' (zoom/pan) and 'pointer' (image coordinates) events.
 */

import { HANDLES, boundsOf, clamp, handlePositions } from './geometry.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const MIN_SCALE = 0.02;
const MAX_SCALE = 64;
const FIT_PADDING = 24;
const HANDLE_HIT_PX = 7;
const SHAPE_HIT_PX = 4;
const PYRAMID_MIN_PX = 512; // no reductions below this size: the full image is cheap enough
const CAPTION_LIMIT = 200; // above this many visible shapes, captions cost more than they help

/**
 * @typedef {import('./state.js').Shape} Shape
 * @typedef {import('./geometry.js').Handle} Handle
 * @typedef {{name: string, color: string, kind: string}} LabelClass
 * @typedef {{x: number, y: number, sx: number, sy: number, event: PointerEvent}} ToolEvent
 * @typedef {{name: string, cursor: string, crosshair?: boolean,
 *   pointerDown(e: ToolEvent): void, pointerMove(e: ToolEvent): void,
 *   pointerUp(e: ToolEvent): void, cancel(): void, hover?(e: ToolEvent): void}} Tool
 * A shape drawn in the overlay instead of on the canvas: the one being drawn (id null) or the
 * selected one while it is dragged (its canvas copy is hidden meanwhile).
 * @typedef {{id: string|null, label: string, points: number[]}} Preview
 */

/**
 * @param {string} name
 * @param {Record<string, string|number>} [attributes]
 * @returns {SVGElement}
 */
function svg(name, attributes = {}) {
  const element = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  return element;
}

/**
 * @param {string} hex "#rrggbb"
 * @param {number} alpha
 */
function rgba(hex, alpha) {
  const value = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(value >> 16) & 255}, ${(value >> 8) & 255}, ${value & 255}, ${alpha})`;
}

export class CanvasView extends EventTarget {
  /**
   * @param {HTMLElement} root the element receiving pointer input (data-testid="studio-canvas")
   * @param {import('./state.js').State} state
   * @param {LabelClass[]} labels
   */
  constructor(root, state, labels) {
    super();
    this.root = root;
    this.state = state;
    /** @type {Map<string, LabelClass>} */
    this.labels = new Map(labels.map((label) => [label.name, label]));
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'studio-canvas-layer';
    const context = this.canvas.getContext('2d', { alpha: true });
    if (!context) throw new Error('2D canvas is not available');
    this.ctx = context;
    this.overlay = /** @type {SVGSVGElement} */ (svg('svg', { class: 'studio-overlay' }));
    root.append(this.canvas, this.overlay);
    this.parts = buildOverlay(this.overlay);

    this.view = { scale: 1, x: 0, y: 0 };
    this.width = 0; // CSS pixels
    this.height = 0;
    this.dpr = window.devicePixelRatio || 1;
    /** @type {HTMLImageElement|null} */
    this.image = null;
    /**
     * Smaller copies of the image (1/2, 1/4, ...), made in the background: zoomed out, drawing
     * a 12-megapixel photo scaled down every frame costs far more than drawing its reduction.
     * @type {Array<{factor: number, bitmap: ImageBitmap}>}
     */
    this.levels = [];
    this.imageWidth = 0;
    this.imageHeight = 0;
    /** @type {Tool|null} */
    this.tool = null;
    /** @type {Preview|null} */
    this.preview = null;
    /** @type {string|null} */
    this.hoverId = null;
    /** @type {{x: number, y: number}|null} pointer in local screen coordinates */
    this.pointer = null;
    /** @type {{startX: number, startY: number, viewX: number, viewY: number}|null} */
    this.pan = null;
    this.spaceHeld = false;
    this.frame = 0;
    /** Path and bounds per shape object; state replaces objects on change, so no invalidation. */
    /** @type {WeakMap<Shape, {path: Path2D, bounds: number[]|null}>} */
    this.geometry = new WeakMap();

    state.addEventListener('change', () => this.requestDraw());
    state.addEventListener('select', () => this.requestDraw());
    new ResizeObserver(() => this.resize()).observe(root);
    this.listen();
    this.resize();
  }

  // --- coordinates -----------------------------------------------------------------------

  /**
   * Local screen (CSS px, relative to the root) -> image pixels.
   * @param {number} sx
   * @param {number} sy
   */
  screenToImage(sx, sy) {
    return { x: (sx - this.view.x) / this.view.scale, y: (sy - this.view.y) / this.view.scale };
  }

  /**
   * Image pixels -> local screen (CSS px, relative to the root).
   * @param {number} x
   * @param {number} y
   */
  imageToScreen(x, y) {
    return { x: x * this.view.scale + this.view.x, y: y * this.view.scale + this.view.y };
  }

  /**
   * Image pixels -> viewport (client) coordinates, as mouse events and tests use them.
   * @param {number} x
   * @param {number} y
   */
  imageToClient(x, y) {
    const rect = this.root.getBoundingClientRect();
    const local = this.imageToScreen(x, y);
    return { x: rect.left + local.x, y: rect.top + local.y };
  }

  /** Viewport (client) coordinates -> image pixels. @param {number} cx @param {number} cy */
  clientToImage(cx, cy) {
    const rect = this.root.getBoundingClientRect();
    return this.screenToImage(cx - rect.left, cy - rect.top);
  }

  // --- view ------------------------------------------------------------------------------

  /** @param {HTMLImageElement|null} image */
  setImage(image) {
    for (const level of this.levels) level.bitmap.close();
    this.levels = [];
    this.image = image;
    this.imageWidth = image ? image.naturalWidth : 0;
    this.imageHeight = image ? image.naturalHeight : 0;
    this.preview = null;
    this.hoverId = null;
    this.fit();
    if (image) this.buildLevels(image);
  }

  /** @param {HTMLImageElement} image */
  async buildLevels(image) {
    const levels = [];
    for (
      let factor = 0.5;
      Math.max(image.naturalWidth, image.naturalHeight) * factor >= PYRAMID_MIN_PX;
      factor /= 2
    ) {
      try {
        const bitmap = await createImageBitmap(image, {
          resizeWidth: Math.max(1, Math.round(image.naturalWidth * factor)),
          resizeHeight: Math.max(1, Math.round(image.naturalHeight * factor)),
          resizeQuality: 'medium',
        });
        levels.push({ factor, bitmap });
      } catch {
        break; // an old browser or a tainted image: the full image still draws
      }
      if (this.image !== image) {
        for (const level of levels) level.bitmap.close();
        return;
      }
    }
    this.levels = levels.reverse(); // smallest first
    this.requestDraw();
  }

  fit() {
    if (!this.image || !this.width || !this.height) return;
    const scale = Math.min(
      (this.width - 2 * FIT_PADDING) / this.imageWidth,
      (this.height - 2 * FIT_PADDING) / this.imageHeight,
    );
    this.setView(
      clamp(scale, MIN_SCALE, MAX_SCALE),
      (this.width - this.imageWidth * scale) / 2,
      (this.height - this.imageHeight * scale) / 2,
    );
  }

  /**
   * Zooms keeping the image point under (sx, sy) where it is; the centre by default.
   * @param {number} factor
   * @param {number} [sx]
   * @param {number} [sy]
   */
  zoomBy(factor, sx = this.width / 2, sy = this.height / 2) {
    const scale = clamp(this.view.scale * factor, MIN_SCALE, MAX_SCALE);
    const ratio = scale / this.view.scale;
    this.setView(scale, sx - (sx - this.view.x) * ratio, sy - (sy - this.view.y) * ratio);
  }

  /**
   * Pans so that the image rectangle is in view, without changing the zoom when it fits.
   * @param {number[]} bounds [x1, y1, x2, y2]
   */
  reveal(bounds) {
    const a = this.imageToScreen(bounds[0], bounds[1]);
    const b = this.imageToScreen(bounds[2], bounds[3]);
    if (a.x >= 0 && a.y >= 0 && b.x <= this.width && b.y <= this.height) return;
    const cx = (a.x + b.x) / 2;
    const cy = (a.y + b.y) / 2;
    this.setView(
      this.view.scale,
      this.view.x + this.width / 2 - cx,
      this.view.y + this.height / 2 - cy,
    );
  }

  /** @param {number} scale @param {number} x @param {number} y */
  setView(scale, x, y) {
    this.view = { scale, x, y };
    this.requestDraw();
    this.dispatchEvent(new CustomEvent('view', { detail: { scale } }));
  }

  resize() {
    const rect = this.root.getBoundingClientRect();
    const first = this.width === 0;
    this.width = rect.width;
    this.height = rect.height;
    this.dpr = window.devicePixelRatio || 1;
    this.canvas.width = Math.max(1, Math.round(rect.width * this.dpr));
    this.canvas.height = Math.max(1, Math.round(rect.height * this.dpr));
    this.overlay.setAttribute('viewBox', `0 0 ${rect.width} ${rect.height}`);
    if (first) this.fit();
    this.requestDraw();
  }

  // --- tools and previews ------------------------------------------------------------------

  /** @param {Tool} tool */
  setTool(tool) {
    if (this.tool && this.tool !== tool) this.tool.cancel();
    this.tool = tool;
    this.root.dataset.tool = tool.name;
    this.setCursor(tool.cursor);
    this.requestDraw();
  }

  /** @param {string} cursor */
  setCursor(cursor) {
    this.root.style.cursor = this.spaceHeld || this.pan ? (this.pan ? 'grabbing' : 'grab') : cursor;
  }

  /** @param {Preview|null} preview */
  setPreview(preview) {
    this.preview = preview;
    this.requestDraw();
  }

  /** @param {string|null} id */
  setHover(id) {
    if (id === this.hoverId) return;
    this.hoverId = id;
    this.requestDraw();
  }

  /** @param {string} name */
  colorOf(name) {
    return this.labels.get(name)?.color || '#cccccc';
  }

  // --- hit testing ---------------------------------------------------------------------------

  /**
   * The smallest box under an image point (nested boxes stay reachable), or null.
   * @param {number} x
   * @param {number} y
   * @returns {string|null}
   */
  shapeAt(x, y) {
    const slack = SHAPE_HIT_PX / this.view.scale;
    let best = null;
    let bestArea = Infinity;
    for (const shape of this.state.list()) {
      const bounds = this.cached(shape).bounds;
      if (!bounds || shape.kind === 'tag') continue;
      const [x1, y1, x2, y2] = bounds;
      if (x < x1 - slack || x > x2 + slack || y < y1 - slack || y > y2 + slack) continue;
      const area = (x2 - x1) * (y2 - y1);
      if (area <= bestArea) {
        best = shape.id;
        bestArea = area;
      }
    }
    return best;
  }

  /**
   * The handle of the selected box under a local screen point, or null.
   * @param {number} sx
   * @param {number} sy
   * @returns {Handle|null}
   */
  handleAt(sx, sy) {
    const shape = this.state.selected();
    if (!shape || shape.kind !== 'box') return null;
    for (const [handle, x, y] of handlePositions(shape.points)) {
      const p = this.imageToScreen(x, y);
      if (Math.abs(p.x - sx) <= HANDLE_HIT_PX && Math.abs(p.y - sy) <= HANDLE_HIT_PX) return handle;
    }
    return null;
  }

  // --- input -------------------------------------------------------------------------------

  listen() {
    const root = this.root;
    root.addEventListener('pointerdown', (event) => this.onPointerDown(event));
    root.addEventListener('pointermove', (event) => this.onPointerMove(event));
    root.addEventListener('pointerup', (event) => this.onPointerUp(event));
    root.addEventListener('pointercancel', () => {
      this.pan = null;
      this.tool?.cancel();
    });
    root.addEventListener('pointerleave', () => {
      this.pointer = null;
      this.requestDraw();
      this.dispatchEvent(new CustomEvent('pointer', { detail: null }));
    });
    root.addEventListener('contextmenu', (event) => event.preventDefault());
    root.addEventListener(
      'wheel',
      (event) => {
        event.preventDefault();
        const { sx, sy } = this.local(event);
        const delta = event.deltaMode === 1 ? event.deltaY * 16 : event.deltaY;
        this.zoomBy(Math.exp(-clamp(delta, -200, 200) * 0.0015), sx, sy);
      },
      { passive: false },
    );
    window.addEventListener('keydown', (event) => {
      if (event.code !== 'Space' || isTyping(event.target)) return;
      event.preventDefault(); // no page scroll, no button "click" on a focused control
      if (!this.spaceHeld) {
        this.spaceHeld = true;
        this.setCursor(this.tool?.cursor || 'default');
      }
    });
    window.addEventListener('keyup', (event) => {
      if (event.code !== 'Space') return;
      this.spaceHeld = false;
      this.setCursor(this.tool?.cursor || 'default');
    });
    window.addEventListener('blur', () => {
      this.spaceHeld = false;
    });
  }

  /** @param {MouseEvent} event */
  local(event) {
    const rect = this.root.getBoundingClientRect();
    return { sx: event.clientX - rect.left, sy: event.clientY - rect.top };
  }

  /** @param {PointerEvent} event @returns {ToolEvent} */
  toolEvent(event) {
    const { sx, sy } = this.local(event);
    const { x, y } = this.screenToImage(sx, sy);
    return { x, y, sx, sy, event };
  }

  /** @param {PointerEvent} event */
  onPointerDown(event) {
    if (document.activeElement !== this.root) this.root.focus({ preventScroll: true });
    const panning =
      event.button === 1 || event.button === 2 || (event.button === 0 && this.spaceHeld);
    if (!panning && event.button !== 0) return;
    event.preventDefault();
    this.root.setPointerCapture(event.pointerId);
    if (panning) {
      this.pan = {
        startX: event.clientX,
        startY: event.clientY,
        viewX: this.view.x,
        viewY: this.view.y,
      };
      this.setCursor('grabbing');
      return;
    }
    if (this.image) this.tool?.pointerDown(this.toolEvent(event));
  }

  /** @param {PointerEvent} event */
  onPointerMove(event) {
    const toolEvent = this.toolEvent(event);
    this.pointer = { x: toolEvent.sx, y: toolEvent.sy };
    this.dispatchEvent(new CustomEvent('pointer', { detail: { x: toolEvent.x, y: toolEvent.y } }));
    if (this.pan) {
      this.setView(
        this.view.scale,
        this.pan.viewX + event.clientX - this.pan.startX,
        this.pan.viewY + event.clientY - this.pan.startY,
      );
      return;
    }
    if (!this.image || !this.tool) return;
    if (event.buttons & 1) this.tool.pointerMove(toolEvent);
    else this.tool.hover?.(toolEvent);
    if (this.tool.crosshair) this.requestDraw();
  }

  /** @param {PointerEvent} event */
  onPointerUp(event) {
    if (this.root.hasPointerCapture(event.pointerId))
      this.root.releasePointerCapture(event.pointerId);
    if (this.pan) {
      this.pan = null;
      this.setCursor(this.tool?.cursor || 'default');
      return;
    }
    if (event.button === 0 && this.image) this.tool?.pointerUp(this.toolEvent(event));
  }

  // --- painting ------------------------------------------------------------------------------

  requestDraw() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
      this.drawOverlay();
    });
  }

  /** @param {Shape} shape */
  cached(shape) {
    let entry = this.geometry.get(shape);
    if (!entry) {
      entry = { path: shapePath(shape), bounds: boundsOf(shape) };
      this.geometry.set(shape, entry);
    }
    return entry;
  }

  draw() {
    const { ctx, dpr, view } = this;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    if (!this.image) return;
    ctx.setTransform(dpr * view.scale, 0, 0, dpr * view.scale, dpr * view.x, dpr * view.y);
    // Past 3x, show pixels as squares: annotators place edges on them.
    ctx.imageSmoothingEnabled = view.scale < 3;
    const topLeft = this.screenToImage(0, 0);
    const bottomRight = this.screenToImage(this.width, this.height);
    // Only the visible part of the image: zoomed in on a large photo, that is a small fraction.
    const sx = clamp(Math.floor(topLeft.x), 0, this.imageWidth);
    const sy = clamp(Math.floor(topLeft.y), 0, this.imageHeight);
    const sw = clamp(Math.ceil(bottomRight.x), 0, this.imageWidth) - sx;
    const sh = clamp(Math.ceil(bottomRight.y), 0, this.imageHeight) - sy;
    if (sw > 0 && sh > 0) {
      // The smallest reduction that still has a source pixel per screen pixel.
      const level = this.levels.find((candidate) => candidate.factor >= view.scale * dpr);
      if (level) {
        const f = level.factor;
        ctx.drawImage(level.bitmap, sx * f, sy * f, sw * f, sh * f, sx, sy, sw, sh);
      } else {
        ctx.drawImage(this.image, sx, sy, sw, sh, sx, sy, sw, sh);
      }
    }

    const selectedId = this.state.selectedId;
    const hiddenId = this.preview?.id ?? null;
    /** @type {Map<string, Shape[]>} */
    const byLabel = new Map();
    let visible = 0;
    for (const shape of this.state.list()) {
      if (shape.kind === 'tag' || shape.id === hiddenId) continue;
      const bounds = this.cached(shape).bounds;
      if (!bounds) continue;
      if (bounds[2] < topLeft.x || bounds[0] > bottomRight.x) continue;
      if (bounds[3] < topLeft.y || bounds[1] > bottomRight.y) continue;
      const group = byLabel.get(shape.label);
      if (group) group.push(shape);
      else byLabel.set(shape.label, [shape]);
      visible += 1;
    }

    const unit = 1 / view.scale; // one CSS pixel in image units
    // Crowded views get one-device-pixel lines, which rasterise on a fast path (hairlines);
    // thicker strokes cost several times more per shape when a thousand are on screen.
    const outline = visible > CAPTION_LIMIT ? 1 / (view.scale * dpr) : 1.5 * unit;
    ctx.lineJoin = 'round';
    for (const [label, shapes] of byLabel) {
      const color = this.colorOf(label);
      ctx.fillStyle = rgba(color, 0.14);
      ctx.strokeStyle = color;
      for (const shape of shapes) {
        const { path } = this.cached(shape);
        const emphasised = shape.id === selectedId || shape.id === this.hoverId;
        if (shape.kind !== 'polyline') {
          if (emphasised) ctx.fillStyle = rgba(color, 0.28);
          ctx.fill(path);
          if (emphasised) ctx.fillStyle = rgba(color, 0.14);
        }
        ctx.lineWidth = emphasised ? 2.5 * unit : outline;
        ctx.setLineDash(shape.occluded ? [6 * unit, 4 * unit] : []);
        ctx.stroke(path);
      }
    }
    ctx.setLineDash([]);
    if (visible <= CAPTION_LIMIT) this.drawCaptions(byLabel);
  }

  /** Class names on the top-left corner of each visible shape, in screen space. */
  drawCaptions(/** @type {Map<string, Shape[]>} */ byLabel) {
    const { ctx, dpr } = this;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.font = '600 11px system-ui, -apple-system, "Segoe UI", sans-serif';
    ctx.textBaseline = 'middle';
    for (const [label, shapes] of byLabel) {
      const color = this.colorOf(label);
      const textWidth = ctx.measureText(label).width;
      for (const shape of shapes) {
        const bounds = this.cached(shape).bounds;
        if (!bounds) continue;
        const p = this.imageToScreen(bounds[0], bounds[1]);
        const y = p.y >= 16 ? p.y - 16 : p.y;
        ctx.fillStyle = color;
        ctx.fillRect(p.x, y, textWidth + 8, 16);
        ctx.fillStyle = readableOn(color);
        ctx.fillText(label, p.x + 4, y + 8);
      }
    }
  }

  drawOverlay() {
    const { guideX, guideY, previewRect, selection, outline, handles } = this.parts;
    const guides = Boolean(this.tool?.crosshair && this.pointer && this.image && !this.pan);
    toggle(guideX, guides);
    toggle(guideY, guides);
    if (guides && this.pointer) {
      setAttributes(guideX, { x1: 0, x2: this.width, y1: this.pointer.y, y2: this.pointer.y });
      setAttributes(guideY, { x1: this.pointer.x, x2: this.pointer.x, y1: 0, y2: this.height });
    }

    const preview = this.preview;
    toggle(previewRect, Boolean(preview));
    if (preview) {
      setAttributes(previewRect, {
        ...this.screenRect(preview.points),
        stroke: this.colorOf(preview.label),
      });
    }

    const selected = this.state.selected();
    const box = selected && selected.kind === 'box' ? selected : null;
    toggle(selection, Boolean(box));
    if (!box) return;
    const points = preview && preview.id === box.id ? preview.points : box.points;
    setAttributes(outline, { ...this.screenRect(points), stroke: this.colorOf(box.label) });
    for (const [handle, x, y] of handlePositions(normalised(points))) {
      const p = this.imageToScreen(x, y);
      setAttributes(/** @type {SVGElement} */ (handles.get(handle)), { x: p.x - 4, y: p.y - 4 });
    }
  }

  /** @param {number[]} points */
  screenRect(points) {
    const [x1, y1, x2, y2] = normalised(points);
    const a = this.imageToScreen(x1, y1);
    const b = this.imageToScreen(x2, y2);
    return { x: a.x, y: a.y, width: Math.max(0, b.x - a.x), height: Math.max(0, b.y - a.y) };
  }
}

/**
 * The overlay's fixed set of elements, shown, hidden and moved by drawOverlay().
 * @param {SVGSVGElement} overlay
 */
function buildOverlay(overlay) {
  const guideX = svg('line', { class: 'guide' });
  const guideY = svg('line', { class: 'guide' });
  const previewRect = svg('rect', { class: 'preview' });
  const selection = svg('g', { class: 'selection' });
  const outline = svg('rect', { class: 'outline' });
  selection.append(outline);
  /** @type {Map<Handle, SVGElement>} */
  const handles = new Map();
  for (const handle of HANDLES) {
    const element = svg('rect', { class: `handle handle-${handle}`, width: 8, height: 8 });
    handles.set(handle, element);
    selection.append(element);
  }
  overlay.append(guideX, guideY, previewRect, selection);
  return { guideX, guideY, previewRect, selection, outline, handles };
}

/** @param {EventTarget|null} target */
export function isTyping(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement) return true;
  if (target instanceof HTMLSelectElement) return true;
  return (
    target instanceof HTMLInputElement && !['checkbox', 'radio', 'button'].includes(target.type)
  );
}

/** @param {number[]} points */
function normalised([x1, y1, x2, y2]) {
  return [Math.min(x1, x2), Math.min(y1, y2), Math.max(x1, x2), Math.max(y1, y2)];
}

/** @param {Element} element @param {boolean} visible */
function toggle(element, visible) {
  element.classList.toggle('is-hidden', !visible);
}

/** @param {Element} element @param {Record<string, string|number>} attributes */
function setAttributes(element, attributes) {
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
}

/** Black or white text, whichever reads better on the colour. @param {string} hex */
function readableOn(hex) {
  const value = Number.parseInt(hex.slice(1), 16);
  const luminance =
    0.299 * ((value >> 16) & 255) + 0.587 * ((value >> 8) & 255) + 0.114 * (value & 255);
  return luminance > 150 ? '#111111' : '#ffffff';
}

/**
 * The shape's outline in image coordinates. Kinds without a tool yet (pre-annotations) are still
 * shown: polygons closed, polylines open, keypoints as dots, masks by their bounding box.
 * @param {Shape} shape
 */
function shapePath(shape) {
  const path = new Path2D();
  const p = shape.points || [];
  if (shape.kind === 'box' || shape.kind === 'mask') {
    if (p.length >= 4) path.rect(p[0], p[1], p[2] - p[0], p[3] - p[1]);
  } else if (shape.kind === 'keypoints') {
    for (let i = 0; i + 2 < p.length; i += 3) {
      if (!p[i + 2]) continue;
      path.moveTo(p[i] + 2, p[i + 1]);
      path.arc(p[i], p[i + 1], 2, 0, Math.PI * 2);
    }
  } else if (p.length >= 4) {
    path.moveTo(p[0], p[1]);
    for (let i = 2; i + 1 < p.length; i += 2) path.lineTo(p[i], p[i + 1]);
    if (shape.kind !== 'polyline') path.closePath();
  }
  return path;
}
