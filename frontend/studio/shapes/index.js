// @ts-check
/**
 * The registry of shape kinds. The canvas, the tools and the panels ask a shape's kind for its
 * path, bounds, hit test, handles and edits; none of them branches on the kind's name.
 */

import { box } from './box.js';
import { polygon, polyline } from './chain.js';
import { cuboid } from './cuboid.js';
import { keypoints } from './keypoints.js';
import { mask } from './mask.js';
import { tag } from './tag.js';

/**
 * @typedef {import('./common.js').Shape} Shape
 * @typedef {import('./common.js').HandleSpec} HandleSpec
 * @typedef {import('./common.js').ImageSize} ImageSize
 * @typedef {import('./common.js').LabelSchema} LabelSchema
 * @typedef {{
 *   kind: string, filled: boolean, dots?: boolean,
 *   path(shape: Shape, label?: LabelSchema): Path2D,
 *   svgPath(shape: Shape, toScreen: import('./common.js').ToScreen, label?: LabelSchema): string,
 *   bounds(shape: Shape): number[]|null,
 *   hitTest(shape: Shape, x: number, y: number, slack: number, label?: LabelSchema): boolean,
 *   handles(shape: Shape, unit?: number): HandleSpec[],
 *   move(shape: Shape, dx: number, dy: number, size: ImageSize): Partial<Shape>,
 *   moveHandle(shape: Shape, handle: string, x: number, y: number): Partial<Shape>,
 *   normalise(shape: Shape, size: ImageSize): Partial<Shape>|null,
 *   describe(shape: Shape): string,
 *   removeVertex?(shape: Shape, handle: string): Partial<Shape>|null,
 *   setVisibility?(shape: Shape, index: number, visibility: number): Partial<Shape>|null,
 *   vertices?(shape: Shape): number[],
 *   paint?(ctx: CanvasRenderingContext2D, shape: Shape, color: string): void,
 * }} ShapeKind
 */

/** @type {Record<string, ShapeKind>} */
const KINDS = { box, polygon, polyline, keypoints, cuboid, mask, tag };

/** @param {string} kind @returns {ShapeKind} */
export function kindOf(kind) {
  return KINDS[kind] || tag;
}

/** @param {Shape} shape */
export function shapeKind(shape) {
  return kindOf(shape.kind);
}

/**
 * The shape with an edit applied and normalised, or null when the result would be refused.
 * @param {Shape} shape @param {Partial<Shape>} edit @param {ImageSize} size
 * @returns {Shape|null}
 */
export function edited(shape, edit, size) {
  const next = { ...shape, ...edit };
  const fixed = kindOf(next.kind).normalise(next, size);
  return fixed ? { ...next, ...fixed } : null;
}
