// @ts-check
/**
 * The canvas engine, assembled from its parts: the view transform (view.js), the shapes layer
 * (painter.js), the SVG overlay (overlay.js), input (input.js) and the grid index for hit tests
 * and culling (hit.js). Tools talk to this object only. It knows nothing of the network: it reads
 * the State and emits 'view' (zoom/pan) and 'pointer' (image coordinates) events.
 */

import { GridIndex } from './hit.js';
import { Input } from './input.js';
import { Overlay } from './overlay.js';
import { Painter } from './painter.js';
import { shapeKind } from './shapes/index.js';
import { View } from './view.js';

export { isTyping } from './input.js';

const HANDLE_HIT_PX = 7;
const SHAPE_HIT_PX = 4;

/**
 * @typedef {import('./state.js').Shape} Shape
 * @typedef {import('./shapes/index.js').HandleSpec} HandleSpec
 * @typedef {{name: string, color: string, kind: string, keypoints?: string[],
 *   skeleton?: number[][]}} LabelClass
 * @typedef {{x: number, y: number, sx: number, sy: number, event: MouseEvent}} ToolEvent
 * @typedef {{name: string, cursor: string, crosshair?: boolean,
 *   pointerDown(e: ToolEvent): void|'pan', pointerMove(e: ToolEvent): void,
 *   pointerUp(e: ToolEvent): void, cancel(): void, hover?(e: ToolEvent): void,
 *   doubleClick?(e: ToolEvent): void, action?(action: string, key: string): boolean,
 *   activate?(): void, busy?(): boolean}} Tool
 * A shape drawn in the overlay instead of on the canvas: the one being drawn (id null) or the
 * selected one while it is dragged (its canvas copy is hidden meanwhile).
 * @typedef {{id: string|null, shape: Shape}} Preview
 */

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
    this.view = new View(() => {
      this.requestPaint();
      this.dispatchEvent(new CustomEvent('view', { detail: { scale: this.view.scale } }));
    });
    this.index = new GridIndex();
    this.painter = new Painter(this);
    this.overlay = new Overlay(this);
    root.append(this.painter.canvas, this.overlay.root);
    this.dpr = window.devicePixelRatio || 1;
    /** @type {ImageBitmap|null} */
    this.image = null;
    /** @type {Tool|null} */
    this.tool = null;
    /** @type {Preview|null} */
    this.preview = null;
    /** @type {string|null} */
    this.hoverId = null;
    /** @type {{x: number, y: number}|null} pointer in local screen coordinates */
    this.pointer = null;
    /** Client-side only: hidden shapes are neither drawn nor hit; locked ones do not move. */
    this.hidden = new Set();
    this.locked = new Set();
    /** @type {Array<{x: number, y: number, kind: string}>} */
    this.markers = [];
    /** @type {{points: number[], width: number, color: string, erase: boolean}|null} */
    this.brushStroke = null;
    /** The handle id of the selected shape's active vertex (keypoint visibility keys). @type {string|null} */
    this.activeVertex = null;
    this.paintFrame = 0;
    this.overlayFrame = 0;
    this.input = new Input(this);

    state.addEventListener('change', (event) => {
      const { changeSet, origin } = /** @type {CustomEvent} */ (event).detail;
      if (origin === 'load') {
        this.reindex();
        this.shapesChanged();
        return;
      }
      // An edit repaints where its shapes were and where they are now, nothing else.
      /** @type {number[][]} */
      const regions = [];
      for (const change of changeSet) {
        const before = this.index.bounds.get(change.id);
        const after = change.after ? this.boundsOf(change.after) : null;
        this.index.set(change.id, after);
        if (before) regions.push(before);
        if (after) regions.push(after);
      }
      this.regionsChanged(regions);
    });
    // The selection is drawn in the overlay: selecting among thousands repaints no shape.
    state.addEventListener('select', () => {
      this.activeVertex = null;
      this.requestOverlay();
    });
    new ResizeObserver(() => this.resize()).observe(root);
    this.resize();
  }

  get imageWidth() {
    return this.view.imageWidth;
  }

  get imageHeight() {
    return this.view.imageHeight;
  }

  get size() {
    return { width: this.view.imageWidth, height: this.view.imageHeight };
  }

  // --- coordinates -----------------------------------------------------------------------

  /** @param {number} sx @param {number} sy local screen -> image */
  screenToImage(sx, sy) {
    return this.view.toImage(sx, sy);
  }

  /** @param {number} x @param {number} y image -> local screen */
  imageToScreen(x, y) {
    return this.view.toScreen(x, y);
  }

  /** @param {number} x @param {number} y image -> viewport (client) coordinates */
  imageToClient(x, y) {
    const rect = this.root.getBoundingClientRect();
    const local = this.view.toScreen(x, y);
    return { x: rect.left + local.x, y: rect.top + local.y };
  }

  /** @param {number} cx @param {number} cy viewport (client) -> image */
  clientToImage(cx, cy) {
    const rect = this.root.getBoundingClientRect();
    return this.view.toImage(cx - rect.left, cy - rect.top);
  }

  /** @param {MouseEvent} event */
  local(event) {
    const rect = this.root.getBoundingClientRect();
    return { sx: event.clientX - rect.left, sy: event.clientY - rect.top };
  }

  /** @param {MouseEvent} event @returns {ToolEvent} */
  toolEvent(event) {
    const { sx, sy } = this.local(event);
    const { x, y } = this.view.toImage(sx, sy);
    return { x, y, sx, sy, event };
  }

  // --- view ------------------------------------------------------------------------------

  /** @param {ImageBitmap|null} image the item's image; the one it replaces is released */
  setImage(image) {
    if (this.image && this.image !== image) this.image.close();
    this.image = image;
    this.view.imageWidth = image ? image.width : 0;
    this.view.imageHeight = image ? image.height : 0;
    this.painter.setImage(image);
    this.preview = null;
    this.hoverId = null;
    this.hidden.clear();
    this.locked.clear();
    this.painter.invalidate();
    this.fit();
  }

  fit() {
    this.view.fit();
  }

  /** @param {number} factor @param {number} [sx] @param {number} [sy] */
  zoomBy(factor, sx, sy) {
    this.view.zoomAt(factor, sx, sy);
  }

  /** @param {number[]} bounds */
  reveal(bounds) {
    this.view.reveal(bounds);
  }

  resize() {
    const rect = this.root.getBoundingClientRect();
    const first = this.view.width === 0;
    this.view.width = rect.width;
    this.view.height = rect.height;
    this.dpr = window.devicePixelRatio || 1;
    this.painter.resize(rect.width, rect.height, this.dpr);
    this.overlay.resize(rect.width, rect.height);
    if (first) this.fit();
    this.requestPaint();
  }

  // --- tools and previews ------------------------------------------------------------------

  /** @param {Tool} tool */
  setTool(tool) {
    if (this.tool && this.tool !== tool) this.tool.cancel();
    this.tool = tool;
    this.root.dataset.tool = tool.name;
    this.setCursor(tool.cursor);
    tool.activate?.();
    this.requestOverlay();
  }

  /** @param {string} cursor */
  setCursor(cursor) {
    const pan = this.input?.pan;
    this.root.style.cursor = this.input?.spaceHeld || pan ? (pan ? 'grabbing' : 'grab') : cursor;
  }

  /** @param {Preview|null} preview */
  setPreview(preview) {
    const hiddenBefore = this.preview?.id ?? null;
    this.preview = preview;
    // The shapes layer changes only when the shape it leaves out changes, and only there.
    if ((preview?.id ?? null) !== hiddenBefore) this.shapeChanged(hiddenBefore, preview?.id ?? null);
    else this.requestOverlay();
  }

  /** The brush stroke being painted, in image pixels. @param {{points: number[], width: number, color: string, erase: boolean}|null} stroke */
  setBrushStroke(stroke) {
    this.brushStroke = stroke;
    this.requestOverlay();
  }

  /** @param {Array<{x: number, y: number, kind: string}>} markers */
  setMarkers(markers) {
    this.markers = markers;
    this.requestOverlay();
  }

  /** Tells the user what the tool expects next (the status bar shows it). @param {string} text */
  prompt(text) {
    this.dispatchEvent(new CustomEvent('prompt', { detail: { text } }));
  }

  /** @param {string|null} id */
  setHover(id) {
    if (id === this.hoverId) return;
    this.hoverId = id;
    this.requestOverlay();
  }

  /** @param {string} name */
  colorOf(name) {
    return this.labels.get(name)?.color || '#cccccc';
  }

  // --- hit testing ---------------------------------------------------------------------------

  /** @param {Shape} shape */
  boundsOf(shape) {
    return this.painter.cached(shape).bounds;
  }

  reindex() {
    this.index.clear();
    for (const shape of this.state.list()) this.index.set(shape.id, this.boundsOf(shape));
  }

  /**
   * The smallest shape whose real geometry is under an image point (nested shapes stay
   * reachable), or null. Hidden shapes are not hit.
   * @param {number} x @param {number} y @returns {string|null}
   */
  shapeAt(x, y) {
    const slack = SHAPE_HIT_PX / this.view.scale;
    let best = null;
    let bestArea = Infinity;
    for (const id of this.index.query([x - slack, y - slack, x + slack, y + slack])) {
      const shape = this.state.get(id);
      if (!shape || this.hidden.has(id)) continue;
      if (!shapeKind(shape).hitTest(shape, x, y, slack, this.labels.get(shape.label))) continue;
      const [x1, y1, x2, y2] = /** @type {number[]} */ (this.index.bounds.get(id));
      const area = (x2 - x1) * (y2 - y1);
      if (area <= bestArea) {
        best = id;
        bestArea = area;
      }
    }
    return best;
  }

  /** @param {Shape} shape */
  handlesOf(shape) {
    return shapeKind(shape).handles(shape, 1 / this.view.scale);
  }

  /**
   * The handle of the selected shape under a local screen point, or null.
   * @param {number} sx @param {number} sy @returns {HandleSpec|null}
   */
  handleAt(sx, sy) {
    const shape = this.state.selected();
    if (!shape || this.locked.has(shape.id) || this.hidden.has(shape.id)) return null;
    let best = null;
    let bestDistance = Infinity;
    for (const handle of this.handlesOf(shape)) {
      const p = this.view.toScreen(handle.x, handle.y);
      const distance = Math.max(Math.abs(p.x - sx), Math.abs(p.y - sy));
      // Vertices win over midpoints at equal distance: they are what the user aims at.
      const rank = distance + (handle.role === 'midpoint' ? 0.5 : 0);
      if (distance <= HANDLE_HIT_PX && rank < bestDistance) {
        best = handle;
        bestDistance = rank;
      }
    }
    return best;
  }

  /**
   * The nearest vertex of another shape within the snap distance, for Ctrl-held drawing.
   * @param {number} x @param {number} y @param {string|null} exceptId
   */
  snapTarget(x, y, exceptId = null) {
    const slack = 10 / this.view.scale;
    let best = null;
    let bestDistance = slack;
    for (const id of this.index.query([x - slack, y - slack, x + slack, y + slack])) {
      const shape = this.state.get(id);
      if (!shape || id === exceptId || this.hidden.has(id)) continue;
      for (const handle of shapeKind(shape).handles(shape, 1 / this.view.scale)) {
        if (handle.role !== 'vertex' && handle.role !== 'resize') continue;
        const distance = Math.hypot(handle.x - x, handle.y - y);
        if (distance <= bestDistance) {
          best = { x: handle.x, y: handle.y };
          bestDistance = distance;
        }
      }
    }
    return best;
  }

  // --- painting ------------------------------------------------------------------------------

  /** Something drawn on the shapes layer changed (not only the view): rasterise it again. */
  shapesChanged() {
    this.painter.invalidate();
    this.requestPaint();
  }

  /**
   * How these shapes are drawn changed (hidden, left out while dragged), not their geometry:
   * only their part of the shapes layer is repainted.
   * @param {...(string|null)} ids
   */
  shapeChanged(...ids) {
    /** @type {number[][]} */
    const regions = [];
    for (const id of ids) {
      const bounds = id ? this.index.bounds.get(id) : undefined;
      if (bounds) regions.push(bounds);
    }
    this.regionsChanged(regions);
  }

  /** Shapes changed inside these image rectangles only. @param {number[][]} regions */
  regionsChanged(regions) {
    this.painter.invalidateRegions(regions);
    this.requestPaint();
  }

  /** Repaints the shapes layer (and the overlay) on the next frame. */
  requestPaint() {
    if (this.paintFrame) return;
    this.paintFrame = requestAnimationFrame(() => {
      this.paintFrame = 0;
      this.painter.paint();
      this.overlay.render();
    });
    this.requestOverlay();
  }

  /** Redraws the overlay alone on the next frame. */
  requestOverlay() {
    if (this.overlayFrame || this.paintFrame) return;
    this.overlayFrame = requestAnimationFrame(() => {
      this.overlayFrame = 0;
      this.overlay.render();
    });
  }
}
