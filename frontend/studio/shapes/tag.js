// @ts-check
/** Image tags: no geometry, so nothing to draw, hit or drag. */

export const tag = {
  kind: 'tag',
  filled: false,
  path: () => new Path2D(),
  svgPath: () => '',
  bounds: () => null,
  hitTest: () => false,
  /** @returns {import('./common.js').HandleSpec[]} */
  handles: () => [],
  move: () => ({}),
  moveHandle: () => ({}),
  normalise: () => ({ points: [] }),
  describe: () => 'tag',
};
