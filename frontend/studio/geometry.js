// @ts-check
/** Box geometry in image pixels: handles, resize, move, clamping. Pure functions. */

/** @typedef {'nw'|'n'|'ne'|'e'|'se'|'s'|'sw'|'w'} Handle */

/** @type {Handle[]} */
export const HANDLES = ['nw', 'n', 'ne', 'e', 'se', 's', 'sw', 'w'];

/** @type {Record<Handle, string>} */
export const HANDLE_CURSORS = {
  nw: 'nwse-resize',
  se: 'nwse-resize',
  ne: 'nesw-resize',
  sw: 'nesw-resize',
  n: 'ns-resize',
  s: 'ns-resize',
  e: 'ew-resize',
  w: 'ew-resize',
};

/** Two decimals: sub-pixel enough for any zoom, and short in the JSON. @param {number} value */
export function round(value) {
  return Math.round(value * 100) / 100;
}

/**
 * @param {number} value
 * @param {number} low
 * @param {number} high
 */
export function clamp(value, low, high) {
  return Math.min(high, Math.max(low, value));
}

/**
 * [x1, y1, x2, y2] with x1 <= x2 and y1 <= y2, inside the image, rounded.
 * @param {number[]} points
 * @param {number} width
 * @param {number} height
 */
export function normaliseBox([ax, ay, bx, by], width, height) {
  return [
    round(clamp(Math.min(ax, bx), 0, width)),
    round(clamp(Math.min(ay, by), 0, height)),
    round(clamp(Math.max(ax, bx), 0, width)),
    round(clamp(Math.max(ay, by), 0, height)),
  ];
}

/**
 * The image point each handle sits on.
 * @param {number[]} points
 * @returns {Array<[Handle, number, number]>}
 */
export function handlePositions([x1, y1, x2, y2]) {
  const mx = (x1 + x2) / 2;
  const my = (y1 + y2) / 2;
  return [
    ['nw', x1, y1],
    ['n', mx, y1],
    ['ne', x2, y1],
    ['e', x2, my],
    ['se', x2, y2],
    ['s', mx, y2],
    ['sw', x1, y2],
    ['w', x1, my],
  ];
}

/**
 * Moves the edges a handle controls to (x, y); the result may be inverted until normalised.
 * @param {number[]} points
 * @param {Handle} handle
 * @param {number} x
 * @param {number} y
 */
export function resizeBox(points, handle, x, y) {
  let [x1, y1, x2, y2] = points;
  if (handle.includes('w')) x1 = x;
  if (handle.includes('e')) x2 = x;
  if (handle.includes('n')) y1 = y;
  if (handle.includes('s')) y2 = y;
  return [x1, y1, x2, y2];
}

/**
 * Translates a box, stopping at the image border instead of deforming.
 * @param {number[]} points
 * @param {number} dx
 * @param {number} dy
 * @param {number} width
 * @param {number} height
 */
export function moveBox([x1, y1, x2, y2], dx, dy, width, height) {
  const mx = clamp(dx, -x1, width - x2);
  const my = clamp(dy, -y1, height - y2);
  return [round(x1 + mx), round(y1 + my), round(x2 + mx), round(y2 + my)];
}

/**
 * The axis-aligned bounds of any shape's points, or null for tags.
 * @param {import('./state.js').Shape} shape
 * @returns {[number, number, number, number]|null}
 */
export function boundsOf(shape) {
  const points = shape.points;
  if (!points || points.length < 2) return null;
  if (shape.kind === 'box' || shape.kind === 'mask') {
    return [points[0], points[1], points[2], points[3]];
  }
  const stride = shape.kind === 'keypoints' ? 3 : 2;
  let x1 = Infinity;
  let y1 = Infinity;
  let x2 = -Infinity;
  let y2 = -Infinity;
  for (let i = 0; i + 1 < points.length; i += stride) {
    if (stride === 3 && points[i + 2] === 0) continue;
    x1 = Math.min(x1, points[i]);
    x2 = Math.max(x2, points[i]);
    y1 = Math.min(y1, points[i + 1]);
    y2 = Math.max(y2, points[i + 1]);
  }
  return x1 === Infinity ? null : [x1, y1, x2, y2];
}
