// @ts-check
/**
 * The select tool: click to select (the smallest shape whose real geometry is under the
 * pointer), drag to move, drag a handle to resize, rotate or move a vertex (a midpoint handle
 * inserts one), Alt+click a vertex to delete it. Dragging empty space pans. The drag is
 * previewed in the overlay and becomes one change on release.
 */

import { edited, shapeKind } from '../shapes/index.js';

/** Movement below this many screen pixels is a click, not a drag. */
export const DRAG_THRESHOLD_PX = 3;

/**
 * @typedef {import('../canvas.js').ToolEvent} ToolEvent
 * @typedef {import('../state.js').Shape} Shape
 * @typedef {{handle: import('../shapes/index.js').HandleSpec|null, original: Shape,
 *   startX: number, startY: number, startSx: number, startSy: number, shape: Shape,
 *   moved: boolean}} Gesture
 */

const CURSORS = /** @type {Record<string, string>} */ ({
  nw: 'nwse-resize',
  se: 'nwse-resize',
  ne: 'nesw-resize',
  sw: 'nesw-resize',
  n: 'ns-resize',
  s: 'ns-resize',
  e: 'ew-resize',
  w: 'ew-resize',
  rotate: 'grab',
});

export class SelectTool {
  /**
   * @param {import('../canvas.js').CanvasView} canvas
   * @param {import('../state.js').State} state
   */
  constructor(canvas, state) {
    this.name = 'select';
    this.cursor = 'default';
    this.crosshair = false;
    this.canvas = canvas;
    this.state = state;
    /** @type {Gesture|null} */
    this.gesture = null;
  }

  /**
   * Starts a handle drag (or deletes the vertex on Alt+click) when the pointer is on a handle
   * of the selected shape. Draw tools call it first, so edits need no tool switch.
   * @param {ToolEvent} e @returns {boolean}
   */
  grabHandle(e) {
    const handle = this.canvas.handleAt(e.sx, e.sy);
    const shape = this.state.selected();
    if (!handle || !shape || this.state.readOnly) return false;
    const kind = shapeKind(shape);
    if (handle.role === 'vertex') this.canvas.activeVertex = handle.id;
    if (e.event.altKey && handle.role === 'vertex') {
      const edit = kind.removeVertex?.(shape, handle.id);
      if (edit) this.state.update(shape.id, edit);
      return true;
    }
    this.begin(shape, e, handle);
    return true;
  }

  /** @param {ToolEvent} e @returns {'pan'|undefined} */
  pointerDown(e) {
    if (this.grabHandle(e)) return undefined;
    const id = this.canvas.shapeAt(e.x, e.y);
    this.state.select(id);
    const shape = this.state.get(id);
    if (!shape) return 'pan';
    if (!this.state.readOnly && !this.canvas.locked.has(shape.id)) this.begin(shape, e, null);
    return undefined;
  }

  /** @param {Shape} shape @param {ToolEvent} e @param {import('../shapes/index.js').HandleSpec|null} handle */
  begin(shape, e, handle) {
    this.gesture = {
      handle,
      original: shape,
      shape,
      startX: e.x,
      startY: e.y,
      startSx: e.sx,
      startSy: e.sy,
      moved: false,
    };
  }

  /** @param {ToolEvent} e */
  pointerMove(e) {
    const g = this.gesture;
    if (!g) return;
    if (!g.moved && Math.hypot(e.sx - g.startSx, e.sy - g.startSy) < DRAG_THRESHOLD_PX) return;
    g.moved = true;
    const kind = shapeKind(g.original);
    let x = e.x;
    let y = e.y;
    if (g.handle && e.event.ctrlKey) {
      const snap = this.canvas.snapTarget(x, y, g.original.id);
      if (snap) ({ x, y } = snap);
    }
    const edit = g.handle
      ? kind.moveHandle(g.original, g.handle.id, x, y)
      : kind.move(g.original, x - g.startX, y - g.startY, this.canvas.size);
    g.shape = { ...g.original, ...edit };
    this.canvas.setPreview({ id: g.original.id, shape: g.shape });
  }

  /** @param {ToolEvent} _e */
  pointerUp(_e) {
    const g = this.gesture;
    this.gesture = null;
    if (!g || !g.moved) return;
    this.canvas.setPreview(null);
    // An edit the server would refuse (a box dragged flat) leaves the shape as it was.
    const result = edited(g.original, g.shape, this.canvas.size);
    if (!result) return;
    const { id, ...fields } = result;
    this.state.update(id, { ...fields, rotation: result.rotation });
  }

  /** @param {ToolEvent} e */
  hover(e) {
    const handle = this.canvas.handleAt(e.sx, e.sy);
    if (handle) {
      this.canvas.setHover(null);
      this.canvas.setCursor(CURSORS[handle.id] || (handle.role === 'rotate' ? 'grab' : 'crosshair'));
      return;
    }
    const id = this.canvas.shapeAt(e.x, e.y);
    this.canvas.setHover(id);
    if (this.name === 'select') this.canvas.setCursor(id ? 'move' : this.cursor);
  }

  cancel() {
    this.gesture = null;
    this.canvas.setPreview(null);
    this.canvas.setHover(null);
  }
}
