// @ts-check
/**
 * Keypoints: [x, y, v, ...] in the class's schema order, v as in COCO (0 absent, 1 occluded,
 * 2 visible). Skeleton edges join visible points; every placed point is a handle of its own.
 */

import { boundsOfPoints, clamp, round, segmentDistance, translate } from './common.js';

/**
 * @typedef {import('./common.js').Shape} Shape
 * @typedef {import('./common.js').ImageSize} ImageSize
 * @typedef {import('./common.js').LabelSchema} LabelSchema
 */

/** @param {number[]} p @param {LabelSchema|undefined} label */
function edges(p, label) {
  const out = [];
  for (const [a, b] of label?.skeleton || []) {
    if (p[3 * a + 2] && p[3 * b + 2]) out.push([3 * a, 3 * b]);
  }
  return out;
}

export const keypoints = {
  kind: 'keypoints',
  filled: false,
  dots: true,

  /** The skeleton; the points themselves are drawn as dots of a fixed screen size. @param {Shape} shape @param {LabelSchema} [label] */
  path(shape, label) {
    const path = new Path2D();
    for (const [a, b] of edges(shape.points, label)) {
      path.moveTo(shape.points[a], shape.points[a + 1]);
      path.lineTo(shape.points[b], shape.points[b + 1]);
    }
    return path;
  },

  /** @param {Shape} shape @param {import('./common.js').ToScreen} toScreen @param {LabelSchema} [label] */
  svgPath(shape, toScreen, label) {
    const p = shape.points;
    const parts = [];
    for (const [a, b] of edges(p, label)) {
      const s = toScreen(p[a], p[a + 1]);
      const t = toScreen(p[b], p[b + 1]);
      parts.push(`M${s.x.toFixed(1)} ${s.y.toFixed(1)}L${t.x.toFixed(1)} ${t.y.toFixed(1)}`);
    }
    for (let i = 0; i + 2 < p.length; i += 3) {
      if (!p[i + 2]) continue;
      const s = toScreen(p[i], p[i + 1]);
      parts.push(`M${(s.x - 3).toFixed(1)} ${s.y.toFixed(1)}a3 3 0 1 0 6 0a3 3 0 1 0 -6 0`);
    }
    return parts.join('');
  },

  /** The placed points, for dots. @param {Shape} shape */
  vertices(shape) {
    const out = [];
    for (let i = 0; i + 2 < shape.points.length; i += 3) {
      if (shape.points[i + 2]) out.push(shape.points[i], shape.points[i + 1]);
    }
    return out;
  },

  /** @param {Shape} shape */
  bounds: (shape) => boundsOfPoints(shape.points, 3),

  /** @param {Shape} shape @param {number} x @param {number} y @param {number} slack @param {LabelSchema} [label] */
  hitTest(shape, x, y, slack, label) {
    const p = shape.points;
    for (let i = 0; i + 2 < p.length; i += 3) {
      if (p[i + 2] && Math.hypot(p[i] - x, p[i + 1] - y) <= slack * 2) return true;
    }
    return edges(p, label).some(
      ([a, b]) => segmentDistance(x, y, p[a], p[a + 1], p[b], p[b + 1]) <= slack,
    );
  },

  /** @param {Shape} shape */
  handles(shape) {
    const out = [];
    for (let i = 0; i + 2 < shape.points.length; i += 3) {
      if (!shape.points[i + 2]) continue;
      out.push({
        id: `v${i / 3}`,
        x: shape.points[i],
        y: shape.points[i + 1],
        role: /** @type {const} */ ('vertex'),
      });
    }
    return out;
  },

  /** @param {Shape} shape @param {number} dx @param {number} dy @param {ImageSize} size */
  move: (shape, dx, dy, size) => ({ points: translate(shape.points, dx, dy, size, 3) }),

  /** Moves one point alone. @param {Shape} shape @param {string} handle @param {number} x @param {number} y */
  moveHandle(shape, handle, x, y) {
    const index = Number(handle.slice(1));
    const points = shape.points.slice();
    points[3 * index] = x;
    points[3 * index + 1] = y;
    if (!points[3 * index + 2]) points[3 * index + 2] = 2;
    return { points };
  },

  /** Alt+click marks a point absent. @param {Shape} shape @param {string} handle */
  removeVertex(shape, handle) {
    return keypoints.setVisibility(shape, Number(handle.slice(1)), 0);
  },

  /** @param {Shape} shape @param {number} index @param {number} visibility */
  setVisibility(shape, index, visibility) {
    const points = shape.points.slice();
    if (3 * index + 2 >= points.length) return null;
    points[3 * index + 2] = visibility;
    if (visibility === 0) {
      points[3 * index] = 0;
      points[3 * index + 1] = 0;
    }
    return { points };
  },

  /** @param {Shape} shape @param {ImageSize} size @returns {Partial<Shape>|null} */
  normalise(shape, size) {
    const points = shape.points.map((value, i) => {
      if (i % 3 === 2) return value;
      return round(clamp(value, 0, i % 3 === 0 ? size.width : size.height));
    });
    return { points };
  },

  /** @param {Shape} shape */
  describe(shape) {
    let placed = 0;
    for (let i = 2; i < shape.points.length; i += 3) if (shape.points[i]) placed += 1;
    return `${placed}/${shape.points.length / 3} pts`;
  },
};
