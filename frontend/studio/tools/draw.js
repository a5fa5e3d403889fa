// @ts-check
/**
 * What every drawing tool (box, cuboid, keypoints, polygon, polyline) shares: it draws shapes of
 * the active class, clamped to the image, and while it is not placing a shape the selected
 * shape's handles still work (the select tool does the drag), so the user rarely has to switch
 * tools to fix what they drew. A tool module adds only what is particular to its kind: the
 * `draw*` hooks, `placing()` when a shape takes several clicks, and its keys.
 */

import { clamp } from '../geometry.js';
import { edited } from '../shapes/index.js';

/**
 * @typedef {import('../canvas.js').ToolEvent} ToolEvent
 * @typedef {import('../state.js').Shape} Shape
 */

/**
 * The box spanned by two corners, as [x1, y1, x2, y2] with x1 <= x2 and y1 <= y2.
 * @param {{x: number, y: number}} a @param {{x: number, y: number}} b @returns {number[]}
 */
export function spanned(a, b) {
  return [Math.min(a.x, b.x), Math.min(a.y, b.y), Math.max(a.x, b.x), Math.max(a.y, b.y)];
}

export class DrawTool {
  /**
   * @param {string} kind the shape kind it draws (also the tool's name)
   * @param {import('../canvas.js').CanvasView} canvas
   * @param {import('../state.js').State} state
   * @param {import('./select.js').SelectTool} select
   * @param {() => Shape|null} newShape a shape of the active class, no points
   */
  constructor(kind, canvas, state, select, newShape) {
    this.name = kind;
    this.kind = kind;
    this.cursor = 'crosshair';
    this.crosshair = true;
    this.canvas = canvas;
    this.state = state;
    this.select = select;
    this.newShape = newShape;
    /** Whether a press grabbed a handle of the selected shape (the select tool drags it). */
    this.editing = false;
  }

  /** Whether a shape is being placed over several clicks (handles are not grabbed meanwhile). */
  placing() {
    return false;
  }

  busy() {
    return this.placing();
  }

  /** The event's image point, clamped to the image. @param {ToolEvent} e */
  clamped(e) {
    return { x: clamp(e.x, 0, this.canvas.imageWidth), y: clamp(e.y, 0, this.canvas.imageHeight) };
  }

  /** @param {ToolEvent} e */
  pointerDown(e) {
    if (!this.placing() && this.select.grabHandle(e)) {
      this.editing = true;
      return;
    }
    this.drawDown(e);
  }

  /** @param {ToolEvent} e */
  pointerMove(e) {
    if (this.editing) this.select.pointerMove(e);
    else this.drawMove(e);
  }

  /** @param {ToolEvent} e */
  pointerUp(e) {
    if (this.editing) {
      this.editing = false;
      this.select.pointerUp(e);
    } else this.drawUp(e);
  }

  /** @param {ToolEvent} e */
  hover(e) {
    if (this.placing()) {
      this.drawHover(e);
      return;
    }
    this.select.hover(e);
    if (!this.canvas.handleAt(e.sx, e.sy)) this.canvas.setCursor(this.cursor);
  }

  /** A press that grabbed no handle. @param {ToolEvent} _e */
  drawDown(_e) {}

  /** A drag that is not moving a handle. @param {ToolEvent} _e */
  drawMove(_e) {}

  /** A release that ends no handle drag. @param {ToolEvent} _e */
  drawUp(_e) {}

  /** The pointer moving, no button held, while a shape is being placed. @param {ToolEvent} _e */
  drawHover(_e) {}

  /**
   * Adds the drawn shape, unless the server would refuse it (a box drawn flat, too few points).
   * @param {Shape} template @param {number[]} points
   */
  addShape(template, points) {
    const shape = edited({ ...template, points }, {}, this.canvas.size);
    if (shape) this.state.add(shape);
  }

  cancel() {
    this.editing = false;
    this.select.cancel();
  }
}
