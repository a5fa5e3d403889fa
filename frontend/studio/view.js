// @ts-check
/**
 * The view transform: screen = image × scale + offset, in CSS pixels relative to the canvas
 * root. Fit, 1:1, zoom about a screen point and pan; every change is reported to onChange.
 */

import { clamp } from './geometry.js';

export const MIN_SCALE = 0.02;
export const MAX_SCALE = 64;
const FIT_PADDING = 24;

export class View {
  /** @param {() => void} onChange */
  constructor(onChange) {
    this.scale = 1;
    this.x = 0;
    this.y = 0;
    this.width = 0; // viewport, CSS pixels
    this.height = 0;
    this.imageWidth = 0;
    this.imageHeight = 0;
    this.onChange = onChange;
  }

  /** @param {number} sx @param {number} sy */
  toImage(sx, sy) {
    return { x: (sx - this.x) / this.scale, y: (sy - this.y) / this.scale };
  }

  /** @param {number} x @param {number} y */
  toScreen(x, y) {
    return { x: x * this.scale + this.x, y: y * this.scale + this.y };
  }

  /** The image rectangle in view, [x1, y1, x2, y2]. */
  visibleRect() {
    const a = this.toImage(0, 0);
    const b = this.toImage(this.width, this.height);
    return [a.x, a.y, b.x, b.y];
  }

  /** @param {number} scale @param {number} x @param {number} y */
  set(scale, x, y) {
    this.scale = scale;
    this.x = x;
    this.y = y;
    this.onChange();
  }

  fit() {
    if (!this.imageWidth || !this.width || !this.height) return;
    const scale = clamp(
      Math.min(
        (this.width - 2 * FIT_PADDING) / this.imageWidth,
        (this.height - 2 * FIT_PADDING) / this.imageHeight,
      ),
      MIN_SCALE,
      MAX_SCALE,
    );
    this.set(
      scale,
      (this.width - this.imageWidth * scale) / 2,
      (this.height - this.imageHeight * scale) / 2,
    );
  }

  /** One image pixel per CSS pixel, keeping the image point at the centre where it is. */
  actualSize() {
    this.zoomAt(1 / this.scale);
  }

  /**
   * Zooms keeping the image point under (sx, sy) where it is; the centre by default.
   * @param {number} factor @param {number} [sx] @param {number} [sy]
   */
  zoomAt(factor, sx = this.width / 2, sy = this.height / 2) {
    const scale = clamp(this.scale * factor, MIN_SCALE, MAX_SCALE);
    const ratio = scale / this.scale;
    this.set(scale, sx - (sx - this.x) * ratio, sy - (sy - this.y) * ratio);
  }

  /** @param {number} dx @param {number} dy screen pixels */
  panBy(dx, dy) {
    this.set(this.scale, this.x + dx, this.y + dy);
  }

  /** Pans so that the image rectangle is in view. @param {number[]} bounds */
  reveal(bounds) {
    const a = this.toScreen(bounds[0], bounds[1]);
    const b = this.toScreen(bounds[2], bounds[3]);
    if (a.x >= 0 && a.y >= 0 && b.x <= this.width && b.y <= this.height) return;
    this.panBy(this.width / 2 - (a.x + b.x) / 2, this.height / 2 - (a.y + b.y) / 2);
  }
}
