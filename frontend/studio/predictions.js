// @ts-check
/**
 * Pre-annotations: a model's shapes for the item (GET items/{id}/predictions/, never the gold
 * answer) shown as editable shapes marked `prediction`, drawn dashed and see-through with
 * their score. They sit in the State like any shape (Tab reaches them, the select tool edits
 * them) but the saver leaves them out: accepting one (A), all above the threshold (Shift+A), or
 * editing one turns it into a document shape in one undoable step; rejecting (X) removes it.
 * Dismissals are remembered in this browser, per item. Shift+P hides or shows them all.
 */

import { normaliseShape } from './state.js';

/** @typedef {import('./state.js').Shape} Shape */

const STORE_PREFIX = 'loupe:dismissed:';

export class Predictions extends EventTarget {
  /**
   * @param {import('./api.js').Api} api
   * @param {import('./state.js').State} state
   * @param {import('./canvas.js').CanvasView} canvas
   * @param {(name: string) => boolean} knownClass
   */
  constructor(api, state, canvas, knownClass) {
    super();
    this.api = api;
    this.state = state;
    this.canvas = canvas;
    this.knownClass = knownClass;
    /** @type {number|null} */
    this.itemId = null;
    /** @type {Shape[]} this item's predictions as fetched */
    this.offered = [];
    /** @type {Set<string>} */
    this.offeredIds = new Set();
    this.shown = true;
    this.threshold = 0.5;
    /** @type {Set<string>} */
    this.dismissed = new Set();
    state.addEventListener('change', (event) => {
      const { changeSet, origin } = /** @type {CustomEvent} */ (event).detail;
      if (origin === 'load') this.inject(); // a reload from the server drops them: put them back
      else this.track(changeSet);
      this.dispatchEvent(new CustomEvent('change'));
    });
  }

  /**
   * The keymap actions this module answers, and the side panel's controls.
   * @param {(text: string, kind?: 'info'|'error') => void} say
   * @returns {Record<string, () => void>}
   */
  actions(say) {
    const none = () => say('Select a prediction first (Tab reaches them).', 'error');
    return {
      'prediction.accept': () => void (this.accept() || none()),
      'prediction.reject': () => void (this.reject() || none()),
      'prediction.acceptAll': () => {
        const count = this.acceptAll();
        say(`${count} prediction${count === 1 ? '' : 's'} scored ${this.threshold} or more accepted.`);
      },
      'prediction.toggle': () => this.toggle(),
    };
  }

  /**
   * Keeps the side panel in step: the count, the Hide/Show label, the threshold field.
   * @param {HTMLElement} panel
   */
  bindPanel(panel) {
    const count = /** @type {HTMLElement} */ (panel.querySelector('[data-testid="prediction-count"]'));
    const toggle = /** @type {HTMLElement} */ (panel.querySelector('[data-action="prediction.toggle"] .toggle-text'));
    const threshold = /** @type {HTMLInputElement} */ (panel.querySelector('[data-testid="prediction-threshold"]'));
    threshold.value = String(this.threshold);
    threshold.addEventListener('input', () => {
      const value = Number(threshold.value);
      if (threshold.value !== '' && value >= 0 && value <= 1) this.threshold = value;
    });
    this.addEventListener('change', () => {
      const left = this.list().length;
      panel.hidden = left === 0 && this.offered.length === 0;
      count.textContent = String(left);
      toggle.textContent = this.shown ? 'Hide' : 'Show';
    });
  }

  /** Fetches the item's predictions and shows those not yet in the document nor dismissed. @param {number} itemId */
  async open(itemId) {
    this.itemId = itemId;
    this.offered = [];
    this.offeredIds = new Set();
    this.dismissed = this.readDismissed();
    let rows = [];
    try {
      rows = await this.api.predictions(itemId);
    } catch {
      return; // pre-annotations are a help: the studio works without them
    }
    if (this.itemId !== itemId) return;
    this.offered = rows
      .filter(({ shape }) => shape.kind !== 'tag' && this.knownClass(shape.label))
      .map(({ shape, score, source }) => ({ ...normaliseShape(shape), prediction: { score, source } }));
    this.offeredIds = new Set(this.offered.map((shape) => shape.id));
    this.inject();
  }

  inject() {
    const fresh = this.offered.filter((shape) => !this.state.get(shape.id) && !this.dismissed.has(shape.id));
    if (!fresh.length || this.state.readOnly) return;
    this.state.apply(
      fresh.map((shape) => ({ id: shape.id, before: null, after: shape })),
      'remote', // not the user's: no undo step, nothing for the saver
    );
    if (!this.shown) this.setShown(false);
  }

  /** @returns {Shape[]} predictions still on review, in drawing order */
  list() {
    return this.state.list().filter((shape) => shape.prediction);
  }

  /** @param {Shape} shape */
  static accepted(shape) {
    const { prediction: _prediction, ...rest } = shape;
    return rest;
  }

  /** Accepts the selected prediction and moves on to the next one. */
  accept() {
    const shape = this.state.selected();
    if (!shape?.prediction) return false;
    const next = this.after(shape.id);
    this.state.apply([{ id: shape.id, before: shape, after: Predictions.accepted(shape) }]);
    this.state.select(next);
    return true;
  }

  /** Accepts every visible prediction scored at or above the threshold. @returns {number} how many */
  acceptAll() {
    const chosen = this.list().filter(
      (shape) => (shape.prediction?.score ?? 0) >= this.threshold && !this.canvas.hidden.has(shape.id),
    );
    this.state.apply(chosen.map((shape) => ({ id: shape.id, before: shape, after: Predictions.accepted(shape) })));
    return chosen.length;
  }

  /** Dismisses the selected prediction and moves on to the next one. */
  reject() {
    const shape = this.state.selected();
    if (!shape?.prediction) return false;
    const next = this.after(shape.id);
    this.state.remove(shape.id);
    this.state.select(next);
    return true;
  }

  /** The prediction after this one (wrapping), if another is left. @param {string} id */
  after(id) {
    const ids = this.list().map((shape) => shape.id);
    if (ids.length < 2) return null;
    return ids[(ids.indexOf(id) + 1) % ids.length];
  }

  toggle() {
    this.setShown(!this.shown);
  }

  /** @param {boolean} shown */
  setShown(shown) {
    this.shown = shown;
    for (const shape of this.list()) {
      if (shown) this.canvas.hidden.delete(shape.id);
      else this.canvas.hidden.add(shape.id);
    }
    if (!shown && this.state.selected()?.prediction) this.state.select(null);
    this.canvas.shapesChanged();
    this.dispatchEvent(new CustomEvent('change'));
  }

  /**
   * Remembers dismissals (an offered shape removed, on review or after it was accepted), and
   * forgets them when undone.
   * @param {import('./state.js').ChangeSet} changeSet
   */
  track(changeSet) {
    let changed = false;
    for (const { id, before, after } of changeSet) {
      if (before && !after && !this.dismissed.has(id) && this.offeredIds.has(id)) {
        this.dismissed.add(id);
        changed = true;
      } else if (after && this.dismissed.delete(id)) {
        changed = true;
      }
    }
    if (changed) this.writeDismissed();
  }

  readDismissed() {
    try {
      const ids = JSON.parse(localStorage.getItem(`${STORE_PREFIX}${this.itemId}`) || '[]');
      return new Set(Array.isArray(ids) ? ids.map(String) : []);
    } catch {
      return new Set();
    }
  }

  writeDismissed() {
    try {
      localStorage.setItem(`${STORE_PREFIX}${this.itemId}`, JSON.stringify([...this.dismissed]));
    } catch {
      // storage full or disabled: dismissals last for this page only
    }
  }
}
