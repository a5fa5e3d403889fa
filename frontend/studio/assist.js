// @ts-check
/**
 * Shapes turned into others in one undoable step: a box into the outline of the object inside
 * it (the server's GrabCut, G for a polygon, Shift+G for a mask), and a polygon into a mask
 * (M), filled in the browser by the mask module's pixel-centre rule. The result takes the class
 * last picked for its kind (each class has one kind), keeps the occluded flag, and sits where
 * the source was in the drawing order; Ctrl+Z brings the source back.
 */

import { ApiError, NetworkError } from './api.js';
import { shapeKind } from './shapes/index.js';
import { encodeRle, fillPolygon, pixelBounds } from './shapes/mask.js';

/** @typedef {import('./state.js').Shape} Shape */

export class Conversions {
  /**
   * @param {{api: import('./api.js').Api, state: import('./state.js').State,
   *   canvas: import('./canvas.js').CanvasView, newShape: (kind: string) => Shape|null,
   *   itemId: () => number|null, say: (text: string, kind?: 'info'|'error') => void}} context
   */
  constructor(context) {
    this.context = context;
    /** Whether an outline request is on its way (a second key press waits for it). */
    this.busy = false;
  }

  /** The keymap actions this module answers. @returns {Record<string, () => void>} */
  actions() {
    return {
      'assist.outline': () => void this.outline('polygon'),
      'assist.outlineMask': () => void this.outline('mask'),
      'shape.toMask': () => this.toMask(),
    };
  }

  /** @param {string} kind */
  target(kind) {
    const shape = this.context.newShape(kind);
    if (!shape) this.context.say(`This project has no ${kind} classes to put the result in.`, 'error');
    return shape;
  }

  /** @param {'polygon'|'mask'} output */
  async outline(output) {
    const { api, state, canvas, itemId, say } = this.context;
    const source = state.selected();
    const id = itemId();
    if (!source || source.kind !== 'box' || id === null) {
      say('Select (or draw, then select) a box around an object first.', 'error');
      return;
    }
    const template = this.target(output);
    const bounds = shapeKind(source).bounds(source);
    if (!template || !bounds || this.busy) return;
    const x1 = Math.max(0, bounds[0]);
    const y1 = Math.max(0, bounds[1]);
    const box = [x1, y1, Math.min(canvas.imageWidth, bounds[2]) - x1, Math.min(canvas.imageHeight, bounds[3]) - y1];
    this.busy = true;
    say('Finding the outline…');
    try {
      const answer = await api.assist(id, box, output);
      if (!answer.found || !answer.points) {
        say(answer.detail || 'No outline found.', 'error');
      } else if (state.get(source.id) !== source || itemId() !== id) {
        say('The box changed while its outline was computed: press the key again.', 'error');
      } else {
        const points = answer.points;
        this.replace(source, { ...template, points, ...(answer.rle ? { rle: answer.rle } : {}) });
        say(`Outlined as a ${output}: edit it, or Ctrl+Z for the box.`);
      }
    } catch (error) {
      const reason = error instanceof ApiError || error instanceof NetworkError ? error.message : String(error);
      say(`Outline failed: ${reason}`, 'error');
    } finally {
      this.busy = false;
    }
  }

  /** Fills the selected polygon into a mask. */
  toMask() {
    const { state, canvas, say } = this.context;
    const source = state.selected();
    if (!source || source.kind !== 'polygon') {
      say('Select a polygon to turn into a mask.', 'error');
      return;
    }
    const template = this.target('mask');
    if (!template) return;
    const { imageWidth: width, imageHeight: height } = canvas;
    const pixels = new Uint8Array(width * height);
    fillPolygon(pixels, width, height, source.points, 1);
    const bounds = pixelBounds(pixels, width, height);
    if (!bounds) {
      say('The polygon covers no pixel.', 'error');
      return;
    }
    this.replace(source, { ...template, points: bounds, rle: encodeRle(pixels, width, height) });
  }

  /** @param {Shape} source @param {Shape} result */
  replace(source, result) {
    const { state } = this.context;
    const index = state.order.indexOf(source.id);
    const shape = { ...result, occluded: source.occluded };
    state.apply([
      { id: source.id, before: source, after: null },
      { id: shape.id, before: null, after: shape, index },
    ]);
    state.select(shape.id);
  }
}
