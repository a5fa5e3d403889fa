// @ts-check
/**
 * Training feedback on the canvas: the gold answer dashed, the annotator's submitted shapes
 * coloured by their outcome in the score's matches (correct, wrong class, extra), and gold
 * shapes nobody drew marked missed. Drawn as an SVG group in the overlay, in screen space, so
 * it follows zoom and pan; `nextError()` brings the next error into view.
 */

import { shapeKind } from './shapes/index.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** What each outcome of quality.scoring is called on screen (and in CSS classes). */
export const OUTCOMES = {
  tp: { name: 'correct', text: 'Correct' },
  class_error: { name: 'wrong-class', text: 'Wrong class' },
  fp: { name: 'extra', text: 'Extra' },
  fn: { name: 'missed', text: 'Missed' },
};

/**
 * @typedef {import('./state.js').Shape} Shape
 * @typedef {{outcome: keyof typeof OUTCOMES, kind: string, gold_id: string|null,
 *   candidate_id: string|null, gold_label: string|null, candidate_label: string|null,
 *   similarity?: number|null}} Match
 * @typedef {{shape: Shape, side: 'gold'|'mine', outcome: string, error: number}} Entry
 */

/** @param {number[]|null} a @param {number[]|null} b */
function union(a, b) {
  if (!a) return b;
  if (!b) return a;
  return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])];
}

export class FeedbackLayer {
  /** @param {import('./canvas.js').CanvasView} canvas */
  constructor(canvas) {
    this.canvas = canvas;
    this.group = document.createElementNS(SVG_NS, 'g');
    this.group.setAttribute('class', 'feedback-layer');
    this.group.dataset.testid = 'feedback-overlay';
    canvas.overlay.root.prepend(this.group);
    /** @type {Entry[]} */
    this.entries = [];
    /** @type {Match[]} the matches that are errors, in reading order */
    this.errors = [];
    this.current = -1;
    /** Screen pixels on the right covered by the feedback panel. */
    this.insetRight = 0;
    canvas.addEventListener('view', () => this.render());
  }

  /**
   * @param {Shape[]} gold the gold answer
   * @param {Shape[]} mine the submitted shapes
   * @param {Match[]} matches the score's matches
   */
  show(gold, mine, matches) {
    const goldById = new Map(gold.map((shape) => [shape.id, shape]));
    const mineById = new Map(mine.map((shape) => [shape.id, shape]));
    const boundsOf = (/** @type {Match} */ match) =>
      union(
        match.gold_id && goldById.has(match.gold_id)
          ? this.canvas.boundsOf(/** @type {Shape} */ (goldById.get(match.gold_id)))
          : null,
        match.candidate_id && mineById.has(match.candidate_id)
          ? this.canvas.boundsOf(/** @type {Shape} */ (mineById.get(match.candidate_id)))
          : null,
      );
    this.errors = matches
      .filter((match) => match.outcome !== 'tp')
      .map((match) => ({ match, bounds: boundsOf(match) }))
      .sort((a, b) => (a.bounds?.[1] ?? 0) - (b.bounds?.[1] ?? 0) || (a.bounds?.[0] ?? 0) - (b.bounds?.[0] ?? 0))
      .map(({ match }) => match);
    const errorOf = (/** @type {string|null} */ id, /** @type {'gold_id'|'candidate_id'} */ side) =>
      this.errors.findIndex((match) => id !== null && match[side] === id);
    /** @type {Map<string, string>} */
    const outcomeOfMine = new Map();
    /** @type {Set<string>} */
    const missed = new Set();
    for (const match of matches) {
      if (match.candidate_id) outcomeOfMine.set(match.candidate_id, OUTCOMES[match.outcome].name);
      if (match.outcome === 'fn' && match.gold_id) missed.add(match.gold_id);
    }
    this.entries = [
      ...gold.map((shape) => ({
        shape,
        side: /** @type {const} */ ('gold'),
        outcome: missed.has(shape.id) ? 'missed' : 'gold',
        error: errorOf(shape.id, 'gold_id'),
      })),
      ...mine.map((shape) => ({
        shape,
        side: /** @type {const} */ ('mine'),
        outcome: outcomeOfMine.get(shape.id) || 'extra',
        error: errorOf(shape.id, 'candidate_id'),
      })),
    ];
    this.current = -1;
    this.group.classList.remove('is-hidden');
    this.render();
  }

  clear() {
    this.entries = [];
    this.errors = [];
    this.current = -1;
    this.group.replaceChildren();
  }

  render() {
    const { view, labels } = this.canvas;
    const toScreen = (/** @type {number} */ x, /** @type {number} */ y) => view.toScreen(x, y);
    this.group.replaceChildren(
      ...this.entries.map((entry) => {
        const path = document.createElementNS(SVG_NS, 'path');
        const kind = shapeKind(entry.shape);
        path.setAttribute('d', kind.svgPath(entry.shape, toScreen, labels.get(entry.shape.label)));
        const classes = ['fb-shape', `fb-${entry.side}`, `fb-${entry.outcome}`];
        if (entry.error >= 0 && entry.error === this.current) classes.push('is-current');
        path.setAttribute('class', classes.join(' '));
        path.dataset.outcome = entry.outcome;
        path.dataset.side = entry.side;
        path.dataset.label = entry.shape.label;
        return path;
      }),
    );
  }

  /**
   * Brings the next error into view (wrapping round); null when there is none.
   * @returns {Match|null}
   */
  nextError() {
    if (!this.errors.length) return null;
    this.current = (this.current + 1) % this.errors.length;
    const match = this.errors[this.current];
    const bounds = union(
      this.boundsOf(match.gold_id, 'gold'),
      this.boundsOf(match.candidate_id, 'mine'),
    );
    if (bounds) this.reveal(bounds);
    this.render();
    return match;
  }

  /**
   * Pans the error into the part of the stage the feedback panel leaves uncovered (the right
   * `insetRight` screen pixels), centred there, unless it is wholly in it already.
   * @param {number[]} bounds image pixels
   */
  reveal(bounds) {
    const { view } = this.canvas;
    const a = view.toScreen(bounds[0], bounds[1]);
    const b = view.toScreen(bounds[2], bounds[3]);
    const right = Math.max(view.width / 3, view.width - this.insetRight);
    if (a.x >= 0 && a.y >= 0 && b.x <= right && b.y <= view.height) return;
    view.panBy(right / 2 - (a.x + b.x) / 2, view.height / 2 - (a.y + b.y) / 2);
  }

  /** @param {string|null} id @param {'gold'|'mine'} side */
  boundsOf(id, side) {
    const entry = this.entries.find((candidate) => candidate.side === side && candidate.shape.id === id);
    return entry ? this.canvas.boundsOf(entry.shape) : null;
  }
}

/**
 * One line describing an error for the feedback panel.
 * @param {Match} match
 */
export function describeError(match) {
  if (match.outcome === 'class_error')
    return `Wrong class: you drew ${match.candidate_label}, the answer is ${match.gold_label}.`;
  if (match.outcome === 'fp') return `Extra: a ${match.candidate_label} ${match.kind} the answer does not have.`;
  if (match.outcome === 'fn') return `Missed: a ${match.gold_label} ${match.kind} you did not draw.`;
  return `Correct: ${match.gold_label}.`;
}
