// @ts-check
/**
 * Gold mode (managers): the studio edits an item's gold answer instead of the manager's own
 * document. The whole answer is PUT to items/{id}/gold/ with its purpose (hidden gold or
 * training) on an explicit Save, Ctrl+S, and when the page is left with unsaved changes. No
 * queue, no submit, no autosave: a gold answer is a deliberate act.
 */

import { ApiError } from './api.js';
import { Saver } from './saver.js';

/** @typedef {import('./state.js').Shape} Shape */

export class GoldSaver extends Saver {
  /**
   * @param {import('./api.js').Api} api
   * @param {import('./state.js').State} state
   * @param {string} username
   * @param {{banner: HTMLElement, purpose: HTMLSelectElement, save: HTMLButtonElement}} controls
   */
  constructor(api, state, username, controls) {
    super(api, state, username);
    this.controls = controls;
    /** Edits since the last save was sent: one made while a save is in flight keeps it dirty. */
    this.edits = 0;
    /**
     * Whether the selector shows the item's purpose: not when the item has no answer yet (it may
     * be designated training with its answer to come); then the server keeps what it has.
     */
    this.purposeKnown = false;
    controls.banner.hidden = false;
    controls.save.addEventListener('click', () => this.saveNow());
    controls.purpose.addEventListener('change', () => {
      this.purposeKnown = true;
      this.changed();
    });
    window.addEventListener('keydown', (event) => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 's') {
        event.preventDefault();
        this.saveNow();
      }
    });
    window.addEventListener('beforeunload', (event) => {
      if (!this.dirty || this.itemId === null) return;
      // Sent with keepalive so it outlives the page; the prompt gives it time and a say.
      this.put(true).catch(() => {});
      event.preventDefault();
    });
  }

  /**
   * The item's gold answer: its shapes and purpose, or nothing yet (404).
   * @param {number} itemId
   * @returns {Promise<{shapes: Shape[], purpose: string}>}
   */
  async load(itemId) {
    try {
      const response = await this.api.request('GET', `items/${itemId}/gold/`);
      const gold = await response.json();
      this.controls.purpose.value = gold.purpose;
      this.purposeKnown = true;
      return { shapes: gold.shapes || [], purpose: gold.purpose };
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) throw error;
      this.controls.purpose.value = 'hidden';
      this.purposeKnown = false;
      return { shapes: [], purpose: 'hidden' };
    }
  }

  /** Marks the answer unsaved; nothing is sent until Save. */
  changed() {
    if (this.itemId === null) return;
    this.dirty = true;
    this.edits += 1;
    this.refused = false;
    if (this.status !== 'saving') this.setStatus('dirty');
  }

  async saveNow() {
    if (this.itemId === null) return;
    if (!this.dirty) {
      this.dirty = true; // an explicit save writes even an unchanged (e.g. empty) answer
      this.edits += 1;
    }
    await this.settle();
  }

  /** @param {boolean} [keepalive] sent while the page is being left */
  async put(keepalive = false) {
    const shapes = this.state.documentShapes();
    const body = this.purposeKnown ? { shapes, purpose: this.controls.purpose.value } : { shapes };
    const response = await this.api.request('PUT', `items/${this.itemId}/gold/`, { body, keepalive });
    return response.json();
  }

  async send() {
    const itemId = this.itemId;
    const edits = this.edits;
    this.refused = false;
    this.setStatus('saving');
    try {
      const gold = await this.put();
      if (itemId !== this.itemId) return;
      this.controls.purpose.value = gold.purpose;
      this.purposeKnown = true;
      this.version += 1;
      this.retryMs = 1000;
      this.pending.clear();
      if (this.edits === edits) {
        this.dirty = false;
        this.setStatus('saved');
      } else {
        this.setStatus('dirty');
      }
      this.dispatchEvent(new CustomEvent('saved', { detail: { doc: null, version: this.version, gold } }));
    } catch (error) {
      if (itemId === this.itemId) await this.failed(error);
    }
  }

  /** Gold answers are not kept in localStorage: it would mix with the manager's own document. */
  writeLocal() {}

  /** @returns {null} */
  unsentCopy() {
    return null;
  }
}
