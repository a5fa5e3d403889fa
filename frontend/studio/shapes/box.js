// @ts-check
/**
 * Boxes: [x1, y1, x2, y2] plus an optional rotation in degrees (clockwise on screen) about the
 * centre. Handles, hit tests and resizing work in the box's own frame, so a rotated box
 * resizes along its own sides with the opposite side staying put.
 */

import { clamp, round } from './common.js';

/**
 * @typedef {import('./common.js').Shape} Shape
 * @typedef {import('./common.js').HandleSpec} HandleSpec
 * @typedef {import('./common.js').ImageSize} ImageSize
 */

/** Screen pixels between the top edge and the rotation handle. */
const ROTATE_OFFSET_PX = 24;
const RESIZE = [
  ['nw', -1, -1],
  ['n', 0, -1],
  ['ne', 1, -1],
  ['e', 1, 0],
  ['se', 1, 1],
  ['s', 0, 1],
  ['sw', -1, 1],
  ['w', -1, 0],
];

/** @param {Shape} shape */
function frame(shape) {
  const [x1, y1, x2, y2] = shape.points;
  const angle = ((shape.rotation || 0) * Math.PI) / 180;
  return {
    cx: (x1 + x2) / 2,
    cy: (y1 + y2) / 2,
    hw: Math.abs(x2 - x1) / 2,
    hh: Math.abs(y2 - y1) / 2,
    cos: Math.cos(angle),
    sin: Math.sin(angle),
  };
}

/** Local (u, v) about the centre -> image. @param {ReturnType<typeof frame>} f @param {number} u @param {number} v */
function toImage(f, u, v) {
  return { x: f.cx + u * f.cos - v * f.sin, y: f.cy + u * f.sin + v * f.cos };
}

/** Image -> local. @param {ReturnType<typeof frame>} f @param {number} x @param {number} y */
function toLocal(f, x, y) {
  const dx = x - f.cx;
  const dy = y - f.cy;
  return { u: dx * f.cos + dy * f.sin, v: -dx * f.sin + dy * f.cos };
}

/** The four corners in drawing order. @param {Shape} shape */
export function corners(shape) {
  const f = frame(shape);
  return [
    toImage(f, -f.hw, -f.hh),
    toImage(f, f.hw, -f.hh),
    toImage(f, f.hw, f.hh),
    toImage(f, -f.hw, f.hh),
  ];
}

export const box = {
  kind: 'box',
  filled: true,

  /** @param {Shape} shape */
  path(shape) {
    const path = new Path2D();
    if (shape.points.length < 4) return path;
    const [a, b, c, d] = corners(shape);
    path.moveTo(a.x, a.y);
    path.lineTo(b.x, b.y);
    path.lineTo(c.x, c.y);
    path.lineTo(d.x, d.y);
    path.closePath();
    return path;
  },

  /** @param {Shape} shape @param {import('./common.js').ToScreen} toScreen */
  svgPath(shape, toScreen) {
    if (shape.points.length < 4) return '';
    return (
      corners(shape)
        .map((corner, i) => {
          const p = toScreen(corner.x, corner.y);
          return `${i ? 'L' : 'M'}${p.x.toFixed(1)} ${p.y.toFixed(1)}`;
        })
        .join('') + 'Z'
    );
  },

  /** @param {Shape} shape */
  bounds(shape) {
    if (shape.points.length < 4) return null;
    if (!shape.rotation) {
      const [x1, y1, x2, y2] = shape.points;
      return [Math.min(x1, x2), Math.min(y1, y2), Math.max(x1, x2), Math.max(y1, y2)];
    }
    const cs = corners(shape);
    const xs = cs.map((c) => c.x);
    const ys = cs.map((c) => c.y);
    return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
  },

  /** @param {Shape} shape @param {number} x @param {number} y @param {number} slack */
  hitTest(shape, x, y, slack) {
    const f = frame(shape);
    const { u, v } = toLocal(f, x, y);
    return Math.abs(u) <= f.hw + slack && Math.abs(v) <= f.hh + slack;
  },

  /** @param {Shape} shape @param {number} unit image pixels per screen pixel @returns {HandleSpec[]} */
  handles(shape, unit = 1) {
    const f = frame(shape);
    /** @type {HandleSpec[]} */
    const out = RESIZE.map(([id, su, sv]) => {
      const p = toImage(f, Number(su) * f.hw, Number(sv) * f.hh);
      return { id: String(id), x: p.x, y: p.y, role: /** @type {const} */ ('resize') };
    });
    const top = toImage(f, 0, -f.hh - ROTATE_OFFSET_PX * unit);
    out.push({ id: 'rotate', x: top.x, y: top.y, role: 'rotate', cursor: 'grab' });
    return out;
  },

  /** @param {Shape} shape @param {number} dx @param {number} dy @param {ImageSize} size */
  move(shape, dx, dy, size) {
    const b = /** @type {number[]} */ (box.bounds(shape));
    const mx = clamp(dx, -b[0], size.width - b[2]);
    const my = clamp(dy, -b[1], size.height - b[3]);
    const [x1, y1, x2, y2] = shape.points;
    return { points: [round(x1 + mx), round(y1 + my), round(x2 + mx), round(y2 + my)] };
  },

  /**
   * @param {Shape} shape the shape as the drag started
   * @param {string} handle
   * @param {number} x @param {number} y pointer in image pixels
   * @returns {Partial<Shape>}
   */
  moveHandle(shape, handle, x, y) {
    const f = frame(shape);
    if (handle === 'rotate') {
      let degrees = (Math.atan2(y - f.cy, x - f.cx) * 180) / Math.PI + 90;
      degrees = ((degrees % 360) + 360) % 360;
      return { rotation: round(degrees) };
    }
    const { u, v } = toLocal(f, x, y);
    let [u1, v1, u2, v2] = [-f.hw, -f.hh, f.hw, f.hh];
    if (handle.includes('w')) u1 = u;
    if (handle.includes('e')) u2 = u;
    if (handle.includes('n')) v1 = v;
    if (handle.includes('s')) v2 = v;
    const centre = toImage(f, (u1 + u2) / 2, (v1 + v2) / 2);
    const hw = Math.abs(u2 - u1) / 2;
    const hh = Math.abs(v2 - v1) / 2;
    return { points: [centre.x - hw, centre.y - hh, centre.x + hw, centre.y + hh] };
  },

  /** @param {Shape} shape @param {ImageSize} size @returns {Partial<Shape>|null} */
  normalise(shape, size) {
    const [ax, ay, bx, by] = shape.points;
    const points = [
      round(clamp(Math.min(ax, bx), 0, size.width)),
      round(clamp(Math.min(ay, by), 0, size.height)),
      round(clamp(Math.max(ax, bx), 0, size.width)),
      round(clamp(Math.max(ay, by), 0, size.height)),
    ];
    if (points[2] - points[0] <= 0 || points[3] - points[1] <= 0) return null;
    const rotation = round(((shape.rotation || 0) % 360 + 360) % 360);
    return { points, rotation: rotation || undefined };
  },

  /** @param {Shape} shape */
  describe(shape) {
    const [x1, y1, x2, y2] = shape.points;
    const size = `${Math.round(x2 - x1)}×${Math.round(y2 - y1)}`;
    return shape.rotation ? `${size} ∠${Math.round(shape.rotation)}°` : size;
  },
};
