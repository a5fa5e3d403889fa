// @ts-check
/**
 * Brush masks: `points` is the bbox [x1, y1, x2, y2] of the painted pixels and `rle` COCO's
 * uncompressed RLE of the whole image, column-major (as pycocotools reads it): counts alternate
 * runs of 0 and 1, starting with 0. Drawn as a translucent bitmap of the class colour.
 */

import { clamp } from './common.js';

/**
 * @typedef {import('./common.js').Shape} Shape
 * @typedef {import('./common.js').ImageSize} ImageSize
 */

/** @param {{size: number[], counts: number[]}} rle @returns {Uint8Array} row-major 0/1 pixels */
export function decodeRle(rle) {
  const [height, width] = rle.size;
  const pixels = new Uint8Array(width * height);
  let index = 0;
  let value = 0;
  for (const count of rle.counts) {
    if (value) {
      for (let k = index; k < index + count; k += 1) {
        const x = Math.floor(k / height);
        const y = k - x * height;
        pixels[y * width + x] = 1;
      }
    }
    index += count;
    value = 1 - value;
  }
  return pixels;
}

/** @param {Uint8Array} pixels row-major @param {number} width @param {number} height */
export function encodeRle(pixels, width, height) {
  const counts = [];
  let run = 0;
  let value = 0;
  for (let x = 0; x < width; x += 1) {
    for (let y = 0; y < height; y += 1) {
      const pixel = pixels[y * width + x];
      if (pixel !== value) {
        counts.push(run);
        run = 0;
        value = pixel;
      }
      run += 1;
    }
  }
  counts.push(run);
  return { size: [height, width], counts };
}

/** @param {Uint8Array} pixels @param {number} width @param {number} height */
export function pixelBounds(pixels, width, height) {
  let x1 = width;
  let y1 = height;
  let x2 = -1;
  let y2 = -1;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      if (!pixels[y * width + x]) continue;
      if (x < x1) x1 = x;
      if (x > x2) x2 = x;
      if (y < y1) y1 = y;
      if (y > y2) y2 = y;
    }
  }
  return x2 < 0 ? null : [x1, y1, x2 + 1, y2 + 1];
}

/**
 * Sets (or clears) every pixel whose centre lies inside the polygon (even-odd rule), the same
 * pixel-centre rule as the brush, so a filled polygon's area matches its geometry.
 * @param {Uint8Array} pixels row-major @param {number} width @param {number} height
 * @param {number[]} points flat [x1, y1, x2, y2, ...] @param {number} value
 */
export function fillPolygon(pixels, width, height, points, value) {
  const n = Math.floor(points.length / 2);
  if (n < 3) return;
  let top = Infinity;
  let bottom = -Infinity;
  for (let i = 1; i < 2 * n; i += 2) {
    top = Math.min(top, points[i]);
    bottom = Math.max(bottom, points[i]);
  }
  /** @type {number[]} */
  const crossings = [];
  for (let y = clamp(Math.floor(top), 0, height - 1); y <= clamp(Math.ceil(bottom), 0, height - 1); y += 1) {
    const cy = y + 0.5;
    crossings.length = 0;
    for (let i = 0, j = n - 1; i < n; j = i, i += 1) {
      const [xi, yi, xj, yj] = [points[2 * i], points[2 * i + 1], points[2 * j], points[2 * j + 1]];
      if (yi > cy !== yj > cy) crossings.push(xi + ((cy - yi) * (xj - xi)) / (yj - yi));
    }
    crossings.sort((a, b) => a - b);
    for (let k = 0; k + 1 < crossings.length; k += 2) {
      const from = Math.max(0, Math.ceil(crossings[k] - 0.5));
      const to = Math.min(width - 1, Math.ceil(crossings[k + 1] - 0.5) - 1);
      if (to >= from) pixels.fill(value, y * width + from, y * width + to + 1);
    }
  }
}

/** @type {WeakMap<object, {pixels: Uint8Array, bitmap: Map<string, HTMLCanvasElement>}>} */
const decoded = new WeakMap();

/** @param {Shape} shape */
export function maskPixels(shape) {
  let entry = decoded.get(shape.rle);
  if (!entry) {
    entry = { pixels: decodeRle(shape.rle), bitmap: new Map() };
    decoded.set(shape.rle, entry);
  }
  return entry;
}

export const mask = {
  kind: 'mask',
  filled: false,

  /** The bbox outline; the pixels are painted by paint(). @param {Shape} shape */
  path(shape) {
    const path = new Path2D();
    const [x1, y1, x2, y2] = shape.points;
    if (shape.points.length === 4) path.rect(x1, y1, x2 - x1, y2 - y1);
    return path;
  },

  /** @param {CanvasRenderingContext2D} ctx @param {Shape} shape @param {string} color */
  paint(ctx, shape, color) {
    if (!shape.rle) return;
    const entry = maskPixels(shape);
    let canvas = entry.bitmap.get(color);
    if (!canvas) {
      const [height, width] = shape.rle.size;
      canvas = document.createElement('canvas');
      canvas.width = width;
      canvas.height = height;
      const context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
      const image = context.createImageData(width, height);
      const value = Number.parseInt(color.slice(1), 16);
      for (let i = 0; i < entry.pixels.length; i += 1) {
        if (!entry.pixels[i]) continue;
        image.data[4 * i] = (value >> 16) & 255;
        image.data[4 * i + 1] = (value >> 8) & 255;
        image.data[4 * i + 2] = value & 255;
        image.data[4 * i + 3] = 110;
      }
      context.putImageData(image, 0, 0);
      entry.bitmap.set(color, canvas);
    }
    ctx.drawImage(canvas, 0, 0);
  },

  /** @param {Shape} shape @param {import('./common.js').ToScreen} toScreen */
  svgPath(shape, toScreen) {
    const [x1, y1, x2, y2] = shape.points;
    const a = toScreen(x1, y1);
    const b = toScreen(x2, y2);
    return `M${a.x} ${a.y}H${b.x}V${b.y}H${a.x}Z`;
  },

  /** @param {Shape} shape */
  bounds: (shape) => (shape.points.length === 4 ? shape.points.slice() : null),

  /** @param {Shape} shape @param {number} x @param {number} y */
  hitTest(shape, x, y) {
    if (!shape.rle) return false;
    const [height, width] = shape.rle.size;
    const px = clamp(Math.floor(x), 0, width - 1);
    const py = clamp(Math.floor(y), 0, height - 1);
    return Boolean(maskPixels(shape).pixels[py * width + px]);
  },

  /** @returns {import('./common.js').HandleSpec[]} */
  handles: () => [],

  /** Masks are repainted, not dragged. */
  move: () => ({}),

  moveHandle: () => ({}),

  /** @param {Shape} shape @returns {Partial<Shape>|null} */
  normalise: (shape) => (shape.points.length === 4 && shape.rle ? {} : null),

  /** @param {Shape} shape */
  describe(shape) {
    const [x1, y1, x2, y2] = shape.points;
    return `mask ${Math.round(x2 - x1)}×${Math.round(y2 - y1)}`;
  },
};
