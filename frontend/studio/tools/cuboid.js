// @ts-check
/**
 * The cuboid tool: drag the front face as a box, then move the pointer to push the back face
 * away (a shared depth offset) and click, or press Enter, to place it. Escape cancels.
 */

import { clamp } from '../geometry.js';
import { edited } from '../shapes/index.js';
import { cuboidFrom } from '../shapes/cuboid.js';

const MIN_FACE_PX = 4;

/**
 * @typedef {import('../canvas.js').ToolEvent} ToolEvent
 * @typedef {import('../state.js').Shape} Shape
 */

export class CuboidTool {
  /**
   * @param {import('../canvas.js').CanvasView} canvas
   * @param {import('../state.js').State} state
   * @param {import('./select.js').SelectTool} select
   * @param {() => Shape|null} newShape
   */
  constructor(canvas, state, select, newShape) {
    this.name = 'cuboid';
    this.kind = 'cuboid';
    this.cursor = 'crosshair';
    this.crosshair = true;
    this.canvas = canvas;
    this.state = state;
    this.select = select;
    this.newShape = newShape;
    /** @type {{template: Shape, x: number, y: number, sx: number, sy: number}|null} */
    this.start = null;
    /** @type {{template: Shape, face: number[], x: number, y: number, points: number[]}|null} */
    this.depth = null;
    this.editing = false;
  }

  busy() {
    return this.start !== null || this.depth !== null;
  }

  /** @param {ToolEvent} e */
  clamped(e) {
    return { x: clamp(e.x, 0, this.canvas.imageWidth), y: clamp(e.y, 0, this.canvas.imageHeight) };
  }

  /** @param {ToolEvent} e */
  pointerDown(e) {
    if (this.depth) {
      this.place(e);
      return;
    }
    if (this.select.grabHandle(e)) {
      this.editing = true;
      return;
    }
    const template = this.newShape();
    if (!template) return;
    this.start = { template, ...this.clamped(e), sx: e.sx, sy: e.sy };
  }

  /** @param {ToolEvent} e */
  pointerMove(e) {
    if (this.editing) {
      this.select.pointerMove(e);
      return;
    }
    if (!this.start) return;
    const { x, y } = this.clamped(e);
    const face = [Math.min(x, this.start.x), Math.min(y, this.start.y), Math.max(x, this.start.x), Math.max(y, this.start.y)];
    this.canvas.setPreview({ id: null, shape: { ...this.start.template, points: cuboidFrom(face, 0, 0) } });
    this.canvas.prompt('Release, then move to set the depth');
  }

  /** @param {ToolEvent} e */
  pointerUp(e) {
    if (this.editing) {
      this.editing = false;
      this.select.pointerUp(e);
      return;
    }
    const start = this.start;
    this.start = null;
    if (!start) return;
    if (Math.abs(e.sx - start.sx) < MIN_FACE_PX || Math.abs(e.sy - start.sy) < MIN_FACE_PX) {
      this.canvas.setPreview(null);
      this.state.select(this.canvas.shapeAt(e.x, e.y));
      return;
    }
    const { x, y } = this.clamped(e);
    const face = [Math.min(x, start.x), Math.min(y, start.y), Math.max(x, start.x), Math.max(y, start.y)];
    this.depth = { template: start.template, face, x, y, points: cuboidFrom(face, 0, 0) };
    this.canvas.prompt('Move to set the depth, click or Enter to place');
  }

  /** @param {ToolEvent} e */
  hover(e) {
    if (!this.depth) {
      this.select.hover(e);
      if (!this.canvas.handleAt(e.sx, e.sy)) this.canvas.setCursor(this.cursor);
      return;
    }
    const { x, y } = this.clamped(e);
    this.depth.points = cuboidFrom(this.depth.face, x - this.depth.x, y - this.depth.y);
    this.canvas.setPreview({ id: null, shape: { ...this.depth.template, points: this.depth.points } });
  }

  /** @param {ToolEvent} e */
  place(e) {
    if (!this.depth) return;
    this.hover(e);
    this.commit();
  }

  commit() {
    const depth = this.depth;
    this.depth = null;
    this.canvas.setPreview(null);
    this.canvas.prompt('');
    if (!depth) return;
    const shape = edited({ ...depth.template, points: depth.points }, {}, this.canvas.size);
    if (shape) this.state.add(shape);
  }

  /** @param {string} action @returns {boolean} */
  action(action) {
    if (!this.depth) return false;
    if (action === 'draw.finish') this.commit();
    else if (action === 'draw.cancel' || action === 'draw.undoPoint') this.cancel();
    else return false;
    return true;
  }

  cancel() {
    this.start = null;
    this.depth = null;
    this.editing = false;
    this.canvas.setPreview(null);
    this.canvas.prompt('');
    this.select.cancel();
  }
}
