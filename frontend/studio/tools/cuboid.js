// @ts-check
/**
 * The cuboid tool: drag the front face as a box, then move the pointer to push the back face
 * away (a shared depth offset) and click, or press Enter, to place it. Escape cancels.
 */

import { cuboidFrom } from '../shapes/cuboid.js';
import { DrawTool, spanned } from './draw.js';

const MIN_FACE_PX = 4;

/**
 * @typedef {import('../canvas.js').ToolEvent} ToolEvent
 * @typedef {import('../state.js').Shape} Shape
 */

export class CuboidTool extends DrawTool {
  /**
   * @param {import('../canvas.js').CanvasView} canvas
   * @param {import('../state.js').State} state
   * @param {import('./select.js').SelectTool} select
   * @param {() => Shape|null} newShape
   */
  constructor(canvas, state, select, newShape) {
    super('cuboid', canvas, state, select, newShape);
    /** @type {{template: Shape, x: number, y: number, sx: number, sy: number}|null} */
    this.start = null;
    /** @type {{template: Shape, face: number[], x: number, y: number, points: number[]}|null} */
    this.depth = null;
  }

  /** Between releasing the front face and placing the back one. */
  placing() {
    return this.depth !== null;
  }

  busy() {
    return this.start !== null || this.depth !== null;
  }

  /** @param {ToolEvent} e */
  drawDown(e) {
    if (this.depth) {
      this.place(e);
      return;
    }
    const template = this.newShape();
    if (!template) return;
    this.start = { template, ...this.clamped(e), sx: e.sx, sy: e.sy };
  }

  /** @param {ToolEvent} e */
  drawMove(e) {
    if (!this.start) return;
    const face = spanned(this.clamped(e), this.start);
    this.canvas.setPreview({ id: null, shape: { ...this.start.template, points: cuboidFrom(face, 0, 0) } });
    this.canvas.prompt('Release, then move to set the depth');
  }

  /** @param {ToolEvent} e */
  drawUp(e) {
    const start = this.start;
    this.start = null;
    if (!start) return;
    if (Math.abs(e.sx - start.sx) < MIN_FACE_PX || Math.abs(e.sy - start.sy) < MIN_FACE_PX) {
      this.canvas.setPreview(null);
      this.state.select(this.canvas.shapeAt(e.x, e.y));
      return;
    }
    const { x, y } = this.clamped(e);
    const face = spanned({ x, y }, start);
    this.depth = { template: start.template, face, x, y, points: cuboidFrom(face, 0, 0) };
    this.canvas.prompt('Move to set the depth, click or Enter to place');
  }

  /** @param {ToolEvent} e */
  drawHover(e) {
    if (!this.depth) return;
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
    if (depth) this.addShape(depth.template, depth.points);
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
    this.canvas.setPreview(null);
    this.canvas.prompt('');
    super.cancel();
  }
}
