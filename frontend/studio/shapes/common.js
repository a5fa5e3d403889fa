// @ts-check
/**
 * Geometry shared by the shape kinds: flat point lists [x, y, ...] in image pixels.
 * Pure functions, no DOM but Path2D.
 */

import { clamp, round } from '../geometry.js';

export { clamp, round };

/**
 * @typedef {import('../state.js').Shape} Shape
 * @typedef {{width: number, height: number}} ImageSize
 * A handle of a shape, in image pixels. `role` tells tools what a drag (or Alt+click) does.
 * @typedef {{id: string, x: number, y: number, role: 'vertex'|'midpoint'|'resize'|'rotate',
 *   cursor?: string}} HandleSpec
 * @typedef {(x: number, y: number) => {x: number, y: number}} ToScreen
 * @typedef {{keypoints?: string[], skeleton?: number[][]}} LabelSchema
 */

/** @param {number[]} points @param {number} [stride] */
export function boundsOfPoints(points, stride = 2) {
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  for (let i = 0; i + 1 < points.length; i += stride) {
    if (stride === 3 && points[i + 2] === 0) continue;
    if (points[i] < x1) x1 = points[i];
    if (points[i] > x2) x2 = points[i];
    if (points[i + 1] < y1) y1 = points[i + 1];
    if (points[i + 1] > y2) y2 = points[i + 1];
  }
  return x1 === Infinity ? null : [x1, y1, x2, y2];
}

/** Even-odd ray casting. @param {number[]} points @param {number} x @param {number} y */
export function insidePolygon(points, x, y) {
  let inside = false;
  const n = points.length;
  for (let i = 0, j = n - 2; i < n; j = i, i += 2) {
    const xi = points[i];
    const yi = points[i + 1];
    const xj = points[j];
    const yj = points[j + 1];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/**
 * Distance from (x, y) to the segment (ax, ay)-(bx, by).
 * @param {number} x @param {number} y @param {number} ax @param {number} ay
 * @param {number} bx @param {number} by
 */
export function segmentDistance(x, y, ax, ay, bx, by) {
  const dx = bx - ax;
  const dy = by - ay;
  const length = dx * dx + dy * dy;
  const t = length ? clamp(((x - ax) * dx + (y - ay) * dy) / length, 0, 1) : 0;
  return Math.hypot(x - (ax + t * dx), y - (ay + t * dy));
}

/**
 * Distance from (x, y) to the chain of segments through the points.
 * @param {number[]} points @param {number} x @param {number} y @param {boolean} closed
 */
export function chainDistance(points, x, y, closed) {
  let best = Infinity;
  const n = points.length;
  const last = closed ? n : n - 2;
  for (let i = 0; i < last; i += 2) {
    const j = (i + 2) % n;
    const d = segmentDistance(x, y, points[i], points[i + 1], points[j], points[j + 1]);
    if (d < best) best = d;
  }
  if (n === 2) best = Math.hypot(x - points[0], y - points[1]);
  return best;
}

/** @param {number[]} points @param {boolean} closed */
export function chainPath(points, closed) {
  const path = new Path2D();
  if (points.length < 2) return path;
  path.moveTo(points[0], points[1]);
  for (let i = 2; i + 1 < points.length; i += 2) path.lineTo(points[i], points[i + 1]);
  if (closed) path.closePath();
  return path;
}

/** SVG path data in screen space. @param {number[]} points @param {boolean} closed @param {ToScreen} toScreen */
export function chainSvg(points, closed, toScreen) {
  const parts = [];
  for (let i = 0; i + 1 < points.length; i += 2) {
    const p = toScreen(points[i], points[i + 1]);
    parts.push(`${i ? 'L' : 'M'}${p.x.toFixed(1)} ${p.y.toFixed(1)}`);
  }
  if (closed && parts.length) parts.push('Z');
  return parts.join('');
}

/** Vertex handles v0..vN. @param {number[]} points @returns {HandleSpec[]} */
export function vertexHandles(points) {
  const out = [];
  for (let i = 0; i + 1 < points.length; i += 2) {
    out.push({ id: `v${i / 2}`, x: points[i], y: points[i + 1], role: /** @type {const} */ ('vertex') });
  }
  return out;
}

/** Midpoint handles m0..: a drag inserts a vertex after vertex i. @param {number[]} points @param {boolean} closed */
export function midpointHandles(points, closed) {
  /** @type {HandleSpec[]} */
  const out = [];
  const n = points.length;
  const last = closed ? n : n - 2;
  for (let i = 0; i < last; i += 2) {
    const j = (i + 2) % n;
    out.push({
      id: `m${i / 2}`,
      x: (points[i] + points[j]) / 2,
      y: (points[i + 1] + points[j + 1]) / 2,
      role: 'midpoint',
    });
  }
  return out;
}

/**
 * A drag of vertex or midpoint handle to (x, y): the points afterwards.
 * @param {number[]} points @param {string} handle "v3" or "m3" @param {number} x @param {number} y
 */
export function dragVertex(points, handle, x, y) {
  const index = Number(handle.slice(1));
  const out = points.slice();
  if (handle[0] === 'v') {
    out[2 * index] = x;
    out[2 * index + 1] = y;
  } else if (handle[0] === 'm') {
    out.splice(2 * index + 2, 0, x, y);
  }
  return out;
}

/**
 * Translates, stopping at the image border instead of deforming.
 * @param {number[]} points @param {number} dx @param {number} dy @param {ImageSize} size
 * @param {number} [stride]
 */
export function translate(points, dx, dy, size, stride = 2) {
  const bounds = boundsOfPoints(points, stride);
  if (!bounds) return points.slice();
  const mx = clamp(dx, -bounds[0], size.width - bounds[2]);
  const my = clamp(dy, -bounds[1], size.height - bounds[3]);
  const out = points.slice();
  for (let i = 0; i + 1 < out.length; i += stride) {
    if (stride === 3 && out[i + 2] === 0) continue;
    out[i] = round(out[i] + mx);
    out[i + 1] = round(out[i + 1] + my);
  }
  return out;
}

/** Rounded and inside the image. @param {number[]} points @param {ImageSize} size */
export function clampPoints(points, size) {
  return points.map((value, i) =>
    round(clamp(value, 0, i % 2 === 0 ? size.width : size.height)),
  );
}
