// @ts-check
/** Numeric helpers every shape kind and tool shares. Each kind's geometry is in shapes/. */

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
