// @ts-check
/**
 * The select tool: click to select (smallest box under the pointer), drag to move, drag one of
 * the 8 handles to resize. The drag is previewed in the overlay and becomes one change on release.
 */

import { HANDLE_CURSORS, clamp, moveBox, normaliseBox, resizeBox } from '../geometry.js';

/** Movement below this many screen pixels is a click, not a drag. */
export const DRAG_THRESHOLD_PX = 3;

/**
 * @typedef {import('../canvas.js').ToolEvent} ToolEvent
 * @typedef {{kind: 'move'|'resize', id: string, label: string,
 *   handle: import('../geometry.js').Handle|null,
 *   startX: number, startY: number, startSx: number, startSy: number, original: number[],
 *   points: number[], moved: boolean}} Gesture
 */

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

  /** @param {ToolEvent} e @returns {boolean} whether a handle of the selected box was grabbed */
  grabHandle(e) {
    const handle = this.canvas.handleAt(e.sx, e.sy);
    const shape = this.state.selected();
    if (!handle || !shape) return false;
    this.begin('resize', shape, e, handle);
    return true;
  }

  /** @param {ToolEvent} e */
  pointerDown(e) {
    if (this.grabHandle(e)) return;
    const id = this.canvas.shapeAt(e.x, e.y);
    this.state.select(id);
    const shape = this.state.get(id);
    if (shape && shape.kind === 'box' && !this.state.readOnly) this.begin('move', shape, e, null);
  }

  /**
   * @param {'move'|'resize'} kind
   * @param {import('../state.js').Shape} shape
   * @param {ToolEvent} e
   * @param {import('../geometry.js').Handle|null} handle
   */
  begin(kind, shape, e, handle) {
    this.gesture = {
      kind,
      id: shape.id,
      label: shape.label,
      handle,
      startX: e.x,
      startY: e.y,
      startSx: e.sx,
      startSy: e.sy,
      original: shape.points.slice(),
      points: shape.points.slice(),
      moved: false,
    };
  }

  /** @param {ToolEvent} e */
  pointerMove(e) {
    const g = this.gesture;
    if (!g) return;
    if (!g.moved && Math.hypot(e.sx - g.startSx, e.sy - g.startSy) < DRAG_THRESHOLD_PX) return;
    g.moved = true;
    const { imageWidth: width, imageHeight: height } = this.canvas;
    if (g.kind === 'move') {
      g.points = moveBox(g.original, e.x - g.startX, e.y - g.startY, width, height);
    } else if (g.handle) {
      g.points = resizeBox(g.original, g.handle, clamp(e.x, 0, width), clamp(e.y, 0, height));
    }
    this.canvas.setPreview({ id: g.id, label: g.label, points: g.points });
  }

  /** @param {ToolEvent} _e */
  pointerUp(_e) {
    const g = this.gesture;
    this.gesture = null;
    if (!g || !g.moved) return;
    this.canvas.setPreview(null);
    const points = normaliseBox(g.points, this.canvas.imageWidth, this.canvas.imageHeight);
    // A resize dragged flat would be refused by the server: keep the box as it was.
    if (points[2] - points[0] <= 0 || points[3] - points[1] <= 0) return;
    this.state.update(g.id, { points });
  }

  /** @param {ToolEvent} e */
  hover(e) {
    const handle = this.canvas.handleAt(e.sx, e.sy);
    if (handle) {
      this.canvas.setHover(null);
      this.canvas.setCursor(HANDLE_CURSORS[handle]);
      return;
    }
    const id = this.canvas.shapeAt(e.x, e.y);
    this.canvas.setHover(id);
    this.canvas.setCursor(id ? 'move' : this.cursor);
  }

  cancel() {
    this.gesture = null;
    this.canvas.setPreview(null);
    this.canvas.setHover(null);
  }
}
