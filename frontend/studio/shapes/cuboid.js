// @ts-check
/**
 * Cuboids in 2D projection: 8 vertices, the front face (4) then the back face (4), each face
 * in the same corner order. Dragging a front vertex moves it alone (with its back twin, so the
 * depth stays); dragging a back vertex moves the whole back face: the depth offset is shared.
 */

import {
  boundsOfPoints,
  chainDistance,
  chainSvg,
  clampPoints,
  insidePolygon,
  segmentDistance,
  translate,
  vertexHandles,
} from './common.js';

/**
 * @typedef {import('./common.js').Shape} Shape
 * @typedef {import('./common.js').ImageSize} ImageSize
 */

/** @param {number[]} p */
const front = (p) => p.slice(0, 8);
/** @param {number[]} p */
const back = (p) => p.slice(8, 16);

/** The front face [x1,y1,x2,y2] as a box, pushed back by (dx, dy). @param {number[]} box @param {number} dx @param {number} dy */
export function cuboidFrom([x1, y1, x2, y2], dx, dy) {
  const face = [x1, y1, x2, y1, x2, y2, x1, y2];
  return [...face, ...face.map((value, i) => value + (i % 2 === 0 ? dx : dy))];
}

export const cuboid = {
  kind: 'cuboid',
  filled: true,

  /** @param {Shape} shape */
  path(shape) {
    const p = shape.points;
    const path = new Path2D();
    if (p.length < 16) return path;
    for (const face of [back(p), front(p)]) {
      path.moveTo(face[0], face[1]);
      for (let i = 2; i < 8; i += 2) path.lineTo(face[i], face[i + 1]);
      path.closePath();
    }
    for (let i = 0; i < 8; i += 2) {
      path.moveTo(p[i], p[i + 1]);
      path.lineTo(p[i + 8], p[i + 9]);
    }
    return path;
  },

  /** @param {Shape} shape @param {import('./common.js').ToScreen} toScreen */
  svgPath(shape, toScreen) {
    const p = shape.points;
    if (p.length < 16) return '';
    const parts = [chainSvg(front(p), true, toScreen), chainSvg(back(p), true, toScreen)];
    for (let i = 0; i < 8; i += 2) {
      parts.push(chainSvg([p[i], p[i + 1], p[i + 8], p[i + 9]], false, toScreen));
    }
    return parts.join('');
  },

  /** @param {Shape} shape */
  bounds: (shape) => boundsOfPoints(shape.points),

  /** @param {Shape} shape @param {number} x @param {number} y @param {number} slack */
  hitTest(shape, x, y, slack) {
    const p = shape.points;
    if (insidePolygon(front(p), x, y) || insidePolygon(back(p), x, y)) return true;
    if (chainDistance(front(p), x, y, true) <= slack) return true;
    if (chainDistance(back(p), x, y, true) <= slack) return true;
    for (let i = 0; i < 8; i += 2) {
      if (segmentDistance(x, y, p[i], p[i + 1], p[i + 8], p[i + 9]) <= slack) return true;
    }
    return false;
  },

  /** @param {Shape} shape */
  handles: (shape) => vertexHandles(shape.points),

  /** @param {Shape} shape @param {number} dx @param {number} dy @param {ImageSize} size */
  move: (shape, dx, dy, size) => ({ points: translate(shape.points, dx, dy, size) }),

  /** @param {Shape} shape @param {string} handle @param {number} x @param {number} y */
  moveHandle(shape, handle, x, y) {
    const index = Number(handle.slice(1));
    const points = shape.points.slice();
    const dx = x - points[2 * index];
    const dy = y - points[2 * index + 1];
    const moved = index < 4 ? [index, index + 4] : [4, 5, 6, 7];
    for (const vertex of moved) {
      points[2 * vertex] += dx;
      points[2 * vertex + 1] += dy;
    }
    return { points };
  },

  /** @param {Shape} shape @param {ImageSize} size @returns {Partial<Shape>|null} */
  normalise(shape, size) {
    return shape.points.length === 16 ? { points: clampPoints(shape.points, size) } : null;
  },

  describe: () => 'cuboid',
};
