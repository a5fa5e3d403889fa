// @ts-check
/**
 * The box tool: press, drag, release draws a box of the active class. The tool stays armed and
 * nothing gets selected, so 1-9 pick the class of the next box (re-classing a box takes an
 * explicit selection). A click without a drag selects what is under it, and the selected
 * shape's handles still work (resize, rotate), so the user rarely has to leave this tool.
 */

import { DrawTool, spanned } from './draw.js';
import { DRAG_THRESHOLD_PX } from './select.js';

/** Boxes smaller than this on screen are slips of the hand, not annotations. */
const MIN_BOX_PX = 4;

/** @typedef {import('../canvas.js').ToolEvent} ToolEvent */

export class BoxTool extends DrawTool {
  /**
   * @param {import('../canvas.js').CanvasView} canvas
   * @param {import('../state.js').State} state
   * @param {import('./select.js').SelectTool} select
   * @param {() => import('../state.js').Shape|null} newShape
   */
  constructor(canvas, state, select, newShape) {
    super('box', canvas, state, select, newShape);
    /** @type {{x: number, y: number, sx: number, sy: number, template: import('../state.js').Shape|null}|null} */
    this.start = null;
  }

  /** @param {ToolEvent} e */
  drawDown(e) {
    this.start = { ...this.clamped(e), sx: e.sx, sy: e.sy, template: this.newShape() };
  }

  /** @param {ToolEvent} e */
  drawMove(e) {
    if (!this.start || !this.start.template) return;
    const points = spanned(this.start, this.clamped(e));
    this.canvas.setPreview({ id: null, shape: { ...this.start.template, points } });
  }

  /** @param {ToolEvent} e */
  drawUp(e) {
    const start = this.start;
    this.start = null;
    this.canvas.setPreview(null);
    if (!start) return;
    const dragged =
      Math.abs(e.sx - start.sx) >= MIN_BOX_PX && Math.abs(e.sy - start.sy) >= MIN_BOX_PX;
    if (!dragged) {
      if (Math.hypot(e.sx - start.sx, e.sy - start.sy) < DRAG_THRESHOLD_PX) {
        this.state.select(this.canvas.shapeAt(e.x, e.y));
      }
      return;
    }
    if (start.template) this.addShape(start.template, [start.x, start.y, e.x, e.y]);
  }

  cancel() {
    this.start = null;
    super.cancel();
  }
}
