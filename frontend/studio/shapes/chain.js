// @ts-check
/**
 * Polygons and polylines share everything but closure and their minimum vertex count: vertex
 * and midpoint handles (a midpoint drag inserts a vertex), Alt+click removal, hit tests on the
 * real outline (inside a polygon, near a polyline).
 */

import {
  boundsOfPoints,
  chainDistance,
  chainPath,
  chainSvg,
  clampPoints,
  dragVertex,
  insidePolygon,
  midpointHandles,
  translate,
  vertexHandles,
} from './common.js';

/**
 * @typedef {import('./common.js').Shape} Shape
 * @typedef {import('./common.js').ImageSize} ImageSize
 */

/** @param {string} kind @param {boolean} closed @param {number} minVertices */
export function chainKind(kind, closed, minVertices) {
  return {
    kind,
    filled: closed,
    closed,
    minVertices,

    /** @param {Shape} shape */
    path: (shape) => chainPath(shape.points, closed),

    /** @param {Shape} shape @param {import('./common.js').ToScreen} toScreen */
    svgPath: (shape, toScreen) => chainSvg(shape.points, closed, toScreen),

    /** @param {Shape} shape */
    bounds: (shape) => boundsOfPoints(shape.points),

    /** @param {Shape} shape @param {number} x @param {number} y @param {number} slack */
    hitTest(shape, x, y, slack) {
      if (closed && shape.points.length >= 6 && insidePolygon(shape.points, x, y)) return true;
      return chainDistance(shape.points, x, y, closed) <= slack;
    },

    /** @param {Shape} shape */
    handles: (shape) => [
      ...vertexHandles(shape.points),
      ...midpointHandles(shape.points, closed),
    ],

    /** @param {Shape} shape @param {number} dx @param {number} dy @param {ImageSize} size */
    move: (shape, dx, dy, size) => ({ points: translate(shape.points, dx, dy, size) }),

    /** @param {Shape} shape @param {string} handle @param {number} x @param {number} y */
    moveHandle: (shape, handle, x, y) => ({ points: dragVertex(shape.points, handle, x, y) }),

    /** @param {Shape} shape @param {string} handle @returns {Partial<Shape>|null} */
    removeVertex(shape, handle) {
      if (handle[0] !== 'v' || shape.points.length / 2 <= minVertices) return null;
      const index = Number(handle.slice(1));
      const points = shape.points.slice();
      points.splice(2 * index, 2);
      return { points };
    },

    /** @param {Shape} shape @param {ImageSize} size @returns {Partial<Shape>|null} */
    normalise(shape, size) {
      const points = clampPoints(shape.points, size);
      // Consecutive duplicates come from double-clicks and snapping: they are not vertices.
      const clean = [];
      for (let i = 0; i + 1 < points.length; i += 2) {
        const n = clean.length;
        if (n && clean[n - 2] === points[i] && clean[n - 1] === points[i + 1]) continue;
        clean.push(points[i], points[i + 1]);
      }
      if (closed && clean.length > 2 && clean[0] === clean[clean.length - 2] && clean[1] === clean[clean.length - 1]) {
        clean.splice(-2, 2);
      }
      return clean.length / 2 >= minVertices ? { points: clean } : null;
    },

    /** @param {Shape} shape */
    describe: (shape) => `${shape.points.length / 2} pts`,
  };
}

export const polygon = chainKind('polygon', true, 3);
export const polyline = chainKind('polyline', false, 2);
