// @ts-check
/**
 * The polygon and polyline tools. Click adds a vertex; Enter or a double-click finishes (so
 * does clicking a polygon's first vertex); Backspace removes the last vertex; Escape cancels.
 * Holding Ctrl snaps to the nearest vertex of another shape. Not drawing, the selected shape's
 * handles still work (vertex drag, midpoint insert, Alt+click delete).
 */

import { DrawTool } from './draw.js';
import { DRAG_THRESHOLD_PX } from './select.js';

const CLOSE_PX = 8;

/**
 * @typedef {import('../canvas.js').ToolEvent} ToolEvent
 * @typedef {import('../state.js').Shape} Shape
 */

export class ChainTool extends DrawTool {
  /**
   * @param {'polygon'|'polyline'} kind
   * @param {import('../canvas.js').CanvasView} canvas
   * @param {import('../state.js').State} state
   * @param {import('./select.js').SelectTool} select
   * @param {() => Shape|null} newShape
   */
  constructor(kind, canvas, state, select, newShape) {
    super(kind, canvas, state, select, newShape);
    this.closed = kind === 'polygon';
    this.minVertices = this.closed ? 3 : 2;
    /** @type {Shape|null} the shape being drawn */
    this.draft = null;
    /** @type {number[]} */
    this.vertices = [];
  }

  placing() {
    return this.draft !== null;
  }

  /** @param {ToolEvent} e */
  point(e) {
    if (e.event.ctrlKey) {
      const snap = this.canvas.snapTarget(e.x, e.y, null);
      if (snap) return snap;
    }
    return this.clamped(e);
  }

  /** @param {ToolEvent} e */
  drawDown(e) {
    if (!this.draft) {
      this.draft = this.newShape();
      this.vertices = [];
      if (!this.draft) return;
    }
    const v = this.vertices;
    if (v.length >= 2) {
      const first = this.canvas.imageToScreen(v[0], v[1]);
      const lastPoint = this.canvas.imageToScreen(v[v.length - 2], v[v.length - 1]);
      if (this.closed && v.length / 2 >= 3 && Math.hypot(first.x - e.sx, first.y - e.sy) <= CLOSE_PX) {
        this.finish();
        return;
      }
      // The second press of a double-click lands on the vertex the first one added.
      if (Math.hypot(lastPoint.x - e.sx, lastPoint.y - e.sy) < DRAG_THRESHOLD_PX) return;
    }
    const { x, y } = this.point(e);
    v.push(x, y);
    this.showDraft(e);
  }

  /** A drag draws nothing: it moves the rubber band as hovering does. @param {ToolEvent} e */
  drawMove(e) {
    this.hover(e);
  }

  /** @param {ToolEvent} e */
  drawHover(e) {
    this.showDraft(e);
  }

  /** The rubber band to the pointer, the first vertex to close on, the snap target. @param {ToolEvent|null} e */
  showDraft(e) {
    if (!this.draft) return;
    const points = this.vertices.slice();
    /** @type {Array<{x: number, y: number, kind: string}>} */
    const markers = [];
    if (e) {
      const p = this.point(e);
      points.push(p.x, p.y);
      if (e.event.ctrlKey && this.canvas.snapTarget(e.x, e.y, null)) markers.push({ ...p, kind: 'snap' });
    }
    if (this.closed && this.vertices.length >= 2) {
      markers.push({ x: this.vertices[0], y: this.vertices[1], kind: 'first' });
    }
    const kind = points.length >= 6 && this.closed ? 'polygon' : 'polyline';
    this.canvas.setPreview({ id: null, shape: { ...this.draft, kind, points } });
    this.canvas.setMarkers(markers);
    const count = this.vertices.length / 2;
    this.canvas.prompt(
      count < this.minVertices
        ? `Click to add vertices (${count} of at least ${this.minVertices})`
        : 'Enter or double-click finishes; Backspace removes the last vertex',
    );
  }

  /** @param {ToolEvent} _e */
  doubleClick(_e) {
    if (this.draft) this.finish();
  }

  finish() {
    const draft = this.draft;
    const points = this.vertices;
    this.reset();
    if (draft) this.addShape(draft, points);
  }

  reset() {
    this.draft = null;
    this.vertices = [];
    this.canvas.setPreview(null);
    this.canvas.setMarkers([]);
    this.canvas.prompt('');
  }

  /**
   * @param {string} action
   * @returns {boolean} whether the tool used the key
   */
  action(action) {
    if (!this.draft) return false;
    if (action === 'draw.finish') this.finish();
    else if (action === 'draw.cancel') this.reset();
    else if (action === 'draw.undoPoint') {
      this.vertices.splice(-2, 2);
      if (this.vertices.length === 0) this.reset();
      else this.showDraft(null);
    } else return false;
    return true;
  }

  cancel() {
    this.reset();
    super.cancel();
  }
}
