// @ts-check
/**
 * Keyboard edits of the selected shape that every kind supports through its module: nudge,
 * Tab cycling, copy/paste/duplicate, hide and lock (this tab only: they are not saved), and
 * the visibility of a keypoint.
 */

import { uuid } from './labels.js';
import { edited, shapeKind } from './shapes/index.js';

const PASTE_OFFSET = 10;

/** @typedef {import('./state.js').Shape} Shape */

export class Editing {
  /**
   * @param {import('./canvas.js').CanvasView} canvas
   * @param {import('./state.js').State} state
   */
  constructor(canvas, state) {
    this.canvas = canvas;
    this.state = state;
    /** @type {Shape|null} */
    this.clipboard = null;
  }

  /** The selected shape, if the user may change it. */
  editable() {
    const shape = this.state.selected();
    if (!shape || shape.kind === 'tag' || this.canvas.locked.has(shape.id)) return null;
    return shape;
  }

  /** @param {number} dx @param {number} dy image pixels */
  nudge(dx, dy) {
    const shape = this.editable();
    if (!shape) return;
    const next = edited(shape, shapeKind(shape).move(shape, dx, dy, this.canvas.size), this.canvas.size);
    if (next) this.state.update(shape.id, next);
  }

  /** Selects the next (or previous) visible shape in drawing order and brings it into view. @param {number} step */
  cycle(step) {
    const shapes = this.state
      .list()
      .filter((shape) => shape.kind !== 'tag' && !this.canvas.hidden.has(shape.id));
    if (!shapes.length) return;
    const at = shapes.findIndex((shape) => shape.id === this.state.selectedId);
    const next = at < 0 ? (step > 0 ? 0 : shapes.length - 1) : (at + step + shapes.length) % shapes.length;
    this.state.select(shapes[next].id);
    const bounds = this.canvas.boundsOf(shapes[next]);
    if (bounds) this.canvas.reveal(bounds);
  }

  copy() {
    const shape = this.state.selected();
    if (shape && shape.kind !== 'tag') this.clipboard = structuredClone(shape);
  }

  /** A copy with a new id, moved by the offset, selected. @param {Shape|null} source */
  place(source) {
    if (!source) return;
    const moved = shapeKind(source).move(source, PASTE_OFFSET, PASTE_OFFSET, this.canvas.size);
    const copy = edited({ ...structuredClone(source), id: uuid() }, moved, this.canvas.size);
    if (copy && this.state.add(copy)) this.state.select(copy.id);
  }

  paste() {
    this.place(this.clipboard);
    if (this.clipboard) {
      // Pasting again lands one step further, not on top of the last copy.
      const moved = shapeKind(this.clipboard).move(this.clipboard, PASTE_OFFSET, PASTE_OFFSET, this.canvas.size);
      this.clipboard = { ...this.clipboard, ...moved };
    }
  }

  duplicate() {
    const shape = this.state.selected();
    if (shape && shape.kind !== 'tag') this.place(shape);
  }

  toggleHidden() {
    const id = this.state.selectedId;
    if (!id) return;
    if (this.canvas.hidden.has(id)) this.canvas.hidden.delete(id);
    else this.canvas.hidden.add(id);
    this.canvas.shapeChanged(id);
    this.state.dispatchEvent(new CustomEvent('flags', { detail: { id } }));
  }

  toggleLocked() {
    const id = this.state.selectedId;
    if (!id) return;
    if (this.canvas.locked.has(id)) this.canvas.locked.delete(id);
    else this.canvas.locked.add(id);
    this.canvas.requestOverlay();
    this.state.dispatchEvent(new CustomEvent('flags', { detail: { id } }));
  }

  /** Sets the active keypoint's visibility (0 absent, 1 occluded, 2 visible). @param {number} visibility */
  setVisibility(visibility) {
    const shape = this.editable();
    const handle = this.canvas.activeVertex;
    const kind = shape && shapeKind(shape);
    if (!shape || !kind?.setVisibility || !handle) return;
    const edit = kind.setVisibility(shape, Number(handle.slice(1)), visibility);
    if (edit) this.state.update(shape.id, edit);
    if (visibility === 0) this.canvas.activeVertex = null;
  }
}
