// @ts-check
/**
 * The brush and the eraser: paint (or rub out) pixels of the active class's mask with a round
 * brush of adjustable size ([ and ]). A stroke is previewed in the overlay and written on
 * release as one change: COCO's uncompressed RLE of the whole image plus the bbox in `points`.
 * The target is the selected mask, else the active class's first mask (one mask per class, as
 * semantic segmentation wants); the brush starts a new one when there is none. Shift+drag draws
 * a lasso instead: on release its polygon is filled (or, with the eraser, rubbed out).
 */

import { clamp } from '../geometry.js';
import { decodeRle, encodeRle, fillPolygon, pixelBounds } from '../shapes/mask.js';

const SIZES = [2, 4, 8, 12, 16, 24, 32, 48, 64, 96];

/**
 * @typedef {import('../canvas.js').ToolEvent} ToolEvent
 * @typedef {import('../state.js').Shape} Shape
 */

/**
 * Sets (or clears) every pixel whose centre lies within radius of the polyline.
 * @param {Uint8Array} pixels @param {number} width @param {number} height
 * @param {number[]} points @param {number} radius @param {number} value
 */
export function stampStroke(pixels, width, height, points, radius, value) {
  const step = Math.max(0.5, radius / 2);
  /** @param {number} cx @param {number} cy */
  const disc = (cx, cy) => {
    const y1 = clamp(Math.floor(cy - radius), 0, height - 1);
    const y2 = clamp(Math.ceil(cy + radius), 0, height - 1);
    for (let y = y1; y <= y2; y += 1) {
      const dy = y + 0.5 - cy;
      const half = radius * radius - dy * dy;
      if (half < 0) continue;
      const span = Math.sqrt(half);
      const x1 = clamp(Math.ceil(cx - span - 0.5), 0, width - 1);
      const x2 = clamp(Math.floor(cx + span - 0.5), 0, width - 1);
      if (x2 >= x1) pixels.fill(value, y * width + x1, y * width + x2 + 1);
    }
  };
  disc(points[0], points[1]);
  for (let i = 2; i + 1 < points.length; i += 2) {
    const [ax, ay, bx, by] = [points[i - 2], points[i - 1], points[i], points[i + 1]];
    const steps = Math.ceil(Math.hypot(bx - ax, by - ay) / step);
    for (let k = 1; k <= steps; k += 1) disc(ax + ((bx - ax) * k) / steps, ay + ((by - ay) * k) / steps);
  }
}

export class BrushTool {
  /**
   * @param {'brush'|'eraser'} mode
   * @param {import('../canvas.js').CanvasView} canvas
   * @param {import('../state.js').State} state
   * @param {() => Shape|null} newShape a mask of the active class, no points
   */
  constructor(mode, canvas, state, newShape) {
    this.name = mode;
    this.kind = 'mask';
    this.erase = mode === 'eraser';
    this.cursor = 'crosshair';
    this.crosshair = true;
    this.canvas = canvas;
    this.state = state;
    this.newShape = newShape;
    this.size = 16; // diameter in image pixels
    /** @type {number[]|null} */
    this.stroke = null;
    /** Whether the stroke is a lasso (Shift held when it started). */
    this.lasso = false;
  }

  activate() {
    this.tellSize();
  }

  tellSize() {
    this.canvas.prompt(`${this.erase ? 'Eraser' : 'Brush'} ${this.size} px ([ and ] change it)`);
  }

  /** @returns {Shape|null} the mask a stroke goes into */
  target() {
    const selected = this.state.selected();
    if (selected && selected.kind === 'mask') return selected;
    const template = this.newShape();
    if (!template) return null;
    return this.state.list().find((shape) => shape.kind === 'mask' && shape.label === template.label) || null;
  }

  /** @param {ToolEvent} e */
  pointerDown(e) {
    if (this.state.readOnly) return;
    this.stroke = [e.x, e.y];
    this.lasso = Boolean(e.event.shiftKey);
    this.show();
  }

  /** @param {ToolEvent} e */
  pointerMove(e) {
    if (!this.stroke) return;
    this.stroke.push(e.x, e.y);
    this.show();
  }

  show() {
    const template = this.target() || this.newShape();
    this.canvas.setBrushStroke(
      this.stroke && template
        ? {
            points: this.lasso ? [...this.stroke, this.stroke[0], this.stroke[1]] : this.stroke,
            width: this.lasso ? 2 / this.canvas.view.scale : this.size,
            color: this.canvas.colorOf(template.label),
            erase: this.erase,
          }
        : null,
    );
  }

  /** @param {ToolEvent} _e */
  pointerUp(_e) {
    const stroke = this.stroke;
    this.stroke = null;
    this.canvas.setBrushStroke(null);
    if (!stroke) return;
    const value = this.erase ? 0 : 1;
    if (this.lasso) {
      this.apply((pixels, width, height) => fillPolygon(pixels, width, height, stroke, value));
    } else {
      this.apply((pixels, width, height) => stampStroke(pixels, width, height, stroke, this.size / 2, value));
    }
  }

  /**
   * Paints into the target mask (a new one for the brush) and writes it as one change.
   * @param {(pixels: Uint8Array, width: number, height: number) => void} paint
   */
  apply(paint) {
    const { imageWidth: width, imageHeight: height } = this.canvas;
    const existing = this.target();
    if (this.erase && !existing) return;
    const base = existing || this.newShape();
    if (!base) return;
    const pixels = existing?.rle ? decodeRle(existing.rle) : new Uint8Array(width * height);
    paint(pixels, width, height);
    const bounds = pixelBounds(pixels, width, height);
    if (!bounds) {
      if (existing) this.state.remove(existing.id);
      return;
    }
    const fields = { points: bounds, rle: encodeRle(pixels, width, height) };
    if (existing) this.state.update(existing.id, fields);
    else this.state.add({ ...base, ...fields });
  }

  /** @param {string} action @returns {boolean} */
  action(action) {
    const at = SIZES.indexOf(this.size);
    if (action === 'brush.smaller') this.size = SIZES[Math.max(0, at - 1)];
    else if (action === 'brush.larger') this.size = SIZES[Math.min(SIZES.length - 1, at + 1)];
    else return false;
    this.tellSize();
    return true;
  }

  cancel() {
    this.stroke = null;
    this.canvas.setBrushStroke(null);
  }
}
