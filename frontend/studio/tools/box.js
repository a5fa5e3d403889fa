// @ts-check
/**
 * The box tool: press, drag, release draws a box of the active class, which becomes the
 * selection (so 1-9 re-class it at once). A click without a drag selects what is under it, and
 * the selected box's handles still resize, so the user rarely has to leave this tool.
 */

import { clamp, normaliseBox } from '../geometry.js';
import { DRAG_THRESHOLD_PX } from './select.js';

/** Boxes smaller than this on screen are slips of the hand, not annotations. */
const MIN_BOX_PX = 4;

export class BoxTool {
  /**
   * @param {import('../canvas.js').CanvasView} canvas
   * @param {import('../state.js').State} state
   * @param {import('./select.js').SelectTool} select
   * @param {() => import('../state.js').Shape|null} newShape a box of the active class, no points
   */
  constructor(canvas, state, select, newShape) {
    this.name = 'box';
    this.cursor = 'crosshair';
    this.crosshair = true;
    this.canvas = canvas;
    this.state = state;
    this.select = select;
    this.newShape = newShape;
    /** @type {{x: number, y: number, sx: number, sy: number, label: string}|null} */
    this.start = null;
    this.resizing = false;
  }

  /** @param {import('../canvas.js').ToolEvent} e */
  pointerDown(e) {
    if (this.select.grabHandle(e)) {
      this.resizing = true;
      return;
    }
    const { imageWidth: width, imageHeight: height } = this.canvas;
    const template = this.newShape();
    this.start = {
      x: clamp(e.x, 0, width),
      y: clamp(e.y, 0, height),
      sx: e.sx,
      sy: e.sy,
      label: template ? template.label : '',
    };
  }

  /** @param {import('../canvas.js').ToolEvent} e */
  pointerMove(e) {
    if (this.resizing) {
      this.select.pointerMove(e);
      return;
    }
    if (!this.start || !this.start.label) return;
    const { imageWidth: width, imageHeight: height } = this.canvas;
    this.canvas.setPreview({
      id: null,
      label: this.start.label,
      points: [this.start.x, this.start.y, clamp(e.x, 0, width), clamp(e.y, 0, height)],
    });
  }

  /** @param {import('../canvas.js').ToolEvent} e */
  pointerUp(e) {
    if (this.resizing) {
      this.resizing = false;
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
    const shape = this.newShape();
    if (!shape) return;
    const { imageWidth: width, imageHeight: height } = this.canvas;
    const points = normaliseBox([start.x, start.y, e.x, e.y], width, height);
    if (points[2] - points[0] <= 0 || points[3] - points[1] <= 0) return;
    if (this.state.add({ ...shape, points })) this.state.select(shape.id);
  }

  /** @param {import('../canvas.js').ToolEvent} e */
  hover(e) {
    this.select.hover(e);
    if (!this.canvas.handleAt(e.sx, e.sy)) this.canvas.setCursor(this.cursor);
  }

  cancel() {
    this.start = null;
    this.resizing = false;
    this.select.cancel();
  }
}
