// @ts-check
/**
 * The keypoints tool: the class's schema names the points; each click places the prompted
 * one ("click left_eye"), N skips it (v = 0), Alt+0/1/2 set the visibility of the point just
 * placed, Backspace steps back, Enter finishes (the rest absent), Escape cancels. Not placing,
 * a point of the selected shape can be dragged alone.
 */

import { DrawTool } from './draw.js';

/**
 * @typedef {import('../canvas.js').ToolEvent} ToolEvent
 * @typedef {import('../state.js').Shape} Shape
 */

export class KeypointsTool extends DrawTool {
  /**
   * @param {import('../canvas.js').CanvasView} canvas
   * @param {import('../state.js').State} state
   * @param {import('./select.js').SelectTool} select
   * @param {() => Shape|null} newShape
   */
  constructor(canvas, state, select, newShape) {
    super('keypoints', canvas, state, select, newShape);
    /** @type {Shape|null} */
    this.draft = null;
    /** @type {string[]} */
    this.names = [];
    this.next = 0;
  }

  placing() {
    return this.draft !== null;
  }

  activate() {
    this.prompt();
  }

  /** Starts a shape of the active class if none is being placed. */
  ensureDraft() {
    if (this.draft) return true;
    const template = this.newShape();
    const names = template ? this.canvas.labels.get(template.label)?.keypoints || [] : [];
    if (!template || !names.length) return false;
    this.names = names;
    this.draft = { ...template, points: new Array(3 * names.length).fill(0) };
    this.next = 0;
    return true;
  }

  /** @param {ToolEvent} e */
  drawDown(e) {
    if (!this.ensureDraft() || !this.draft) return;
    const { x, y } = this.clamped(e);
    this.draft.points.splice(3 * this.next, 3, x, y, 2);
    this.advance();
  }

  advance() {
    this.next += 1;
    if (this.draft && this.next >= this.names.length) this.finish();
    else this.show();
  }

  show() {
    if (!this.draft) return;
    this.canvas.setPreview({ id: null, shape: { ...this.draft, points: this.draft.points.slice() } });
    this.prompt();
  }

  prompt() {
    if (!this.draft) {
      const template = this.newShape();
      const first = template ? this.canvas.labels.get(template.label)?.keypoints?.[0] : undefined;
      this.canvas.prompt(first ? `Click ${first}` : '');
      return;
    }
    this.canvas.prompt(
      `Click ${this.names[this.next]} (${this.next + 1} of ${this.names.length}; N skips)`,
    );
  }

  finish() {
    const draft = this.draft;
    this.draft = null;
    this.next = 0;
    this.canvas.setPreview(null);
    if (draft && draft.points.some((value, i) => i % 3 === 2 && value > 0)) {
      this.addShape(draft, draft.points);
    }
    this.prompt();
  }

  /** @param {string} action @param {string} key @returns {boolean} */
  action(action, key) {
    if (action === 'keypoints.skip') {
      if (!this.ensureDraft()) return false;
      this.advance();
      return true;
    }
    if (!this.draft) return false;
    const points = this.draft.points;
    if (action === 'keypoints.visibility' && this.next > 0) {
      const index = this.next - 1;
      const visibility = Number(key.slice(-1));
      points[3 * index + 2] = visibility;
      if (visibility === 0) points[3 * index] = points[3 * index + 1] = 0;
      this.show();
    } else if (action === 'draw.undoPoint') {
      if (this.next === 0) this.cancel();
      else {
        this.next -= 1;
        points.fill(0, 3 * this.next, 3 * this.next + 3);
        this.show();
      }
    } else if (action === 'draw.finish') this.finish();
    else if (action === 'draw.cancel') this.cancel();
    else return false;
    return true;
  }

  cancel() {
    this.draft = null;
    this.next = 0;
    this.canvas.setPreview(null);
    super.cancel();
    this.prompt();
  }
}
