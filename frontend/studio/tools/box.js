// @ts-check
/**
 * The box tool: press, drag, release draws a box of the active class. The tool stays armed and
 * nothing gets selected, so 1-9 pick the class of the next box (re-classing a box takes an
 * explicit selection). A click without a drag selects what is under it, and the selected
 * shape's handles still work (resize, rotate), so the user rarely has to leave this tool.
 */

import { clamp } from '../geometry.js';
import { edited } from '../shapes/index.js';
import { DRAG_THRESHOLD_PX } from './select.js';

/** Boxes smaller than this on screen are slips of the hand, not annotations. */
const MIN_BOX_PX = 4;

export class BoxTool {
  /**
   * @param {import('../canvas.js').CanvasView} canvas
   * @param {import('../state.js').State} state
   * @param {import('./select.js').SelectTool} select
   * @param {() => import('../state.js').Shape|null} newShape a shape of the active class, no points
   */
  constructor(canvas, state, select, newShape) {
    this.name = 'box';
    this.kind = 'box';
    this.cursor = 'crosshair';
    this.crosshair = true;
    this.canvas = canvas;
    this.state = state;
    this.select = select;
    this.newShape = newShape;
    /** @type {{x: number, y: number, sx: number, sy: number, template: import('../state.js').Shape|null}|null} */
    this.start = null;
    this.editing = false;
  }

  /** @param {import('../canvas.js').ToolEvent} e */
  pointerDown(e) {
    if (this.select.grabHandle(e)) {
      this.editing = true;
      return;
    }
    const { imageWidth: width, imageHeight: height } = this.canvas;
    this.start = {
      x: clamp(e.x, 0, width),
      y: clamp(e.y, 0, height),
      sx: e.sx,
      sy: e.sy,
      template: this.newShape(),
    };
  }

  /** @param {import('../canvas.js').ToolEvent} e */
  pointerMove(e) {
    if (this.editing) {
      this.select.pointerMove(e);
      return;
    }
    if (!this.start || !this.start.template) return;
    const { imageWidth: width, imageHeight: height } = this.canvas;
    const { x, y } = this.start;
    const [ex, ey] = [clamp(e.x, 0, width), clamp(e.y, 0, height)];
    this.canvas.setPreview({
      id: null,
      shape: {
        ...this.start.template,
        points: [Math.min(x, ex), Math.min(y, ey), Math.max(x, ex), Math.max(y, ey)],
      },
    });
  }

  /** @param {import('../canvas.js').ToolEvent} e */
  pointerUp(e) {
    if (this.editing) {
      this.editing = false;
      this.select.pointerUp(e);
      return;
    }
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
    if (!start.template) return;
    const shape = edited(
      { ...start.template, points: [start.x, start.y, e.x, e.y] },
      {},
      this.canvas.size,
    );
    if (shape) this.state.add(shape);
  }

  /** @param {import('../canvas.js').ToolEvent} e */
  hover(e) {
    this.select.hover(e);
    if (!this.canvas.handleAt(e.sx, e.sy)) this.canvas.setCursor(this.cursor);
  }

  cancel() {
    this.start = null;
    this.editing = false;
    this.select.cancel();
  }
}
