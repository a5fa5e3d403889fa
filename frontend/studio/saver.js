// @ts-check
/**
 * Autosave. Every change is written to localStorage at once and sent ~600 ms after the last one
 * with If-Match, one request at a time: as the change set of what is not yet acknowledged
 * (PATCH add/update/delete by shape id) when the server takes it, else as the whole shapes list. The local copy is dropped only
 * when the server has acknowledged exactly what it holds, so a closed tab, a dropped connection
 * or a crashed browser loses nothing. A stale version (412) or a locked document (409) stops
 * autosave until the user picks a side; network failures retry with backoff.
 */

import { ApiError, NetworkError } from './api.js';
import { sameShapes } from './state.js';

/**
 * The PATCH body for unacknowledged changes: shapes added, updated (whole shapes) and deleted.
 * @param {Map<string, {before: import('./state.js').Shape|null, after: import('./state.js').Shape|null}>} pending
 */
export function changeSetBody(pending) {
  /** @type {{add: import('./state.js').Shape[], update: import('./state.js').Shape[], delete: string[]}} */
  const body = { add: [], update: [], delete: [] };
  for (const [id, { before, after }] of pending) {
    if (!after) body.delete.push(id);
    else if (!before) body.add.push(after);
    else body.update.push(after);
  }
  return body;
}

/** The texts of data-testid="save-status"; tests and users read them as they are. */
export const STATUS_TEXT = {
  saved: 'Saved',
  saving: 'Saving…',
  dirty: 'Unsaved changes',
  offline: 'Offline — changes kept locally',
  conflict: 'Conflict',
};

/**
 * @typedef {keyof typeof STATUS_TEXT} SaveStatus
 * @typedef {{baseVersion: number, shapes: import('./state.js').Shape[], savedAt: number,
 *   tab: string}} LocalCopy
 * @typedef {{reason: 'stale'|'locked', serverVersion: number|null, message: string}} ConflictInfo
 */

const DEBOUNCE_MS = 600;
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30000;
const KEY_PREFIX = 'loupe:unsaved:';

export class Saver extends EventTarget {
  /**
   * @param {import('./api.js').Api} api
   * @param {import('./state.js').State} state
   * @param {string} username
   */
  constructor(api, state, username) {
    super();
    this.api = api;
    this.state = state;
    this.username = username;
    this.tab = Math.random().toString(36).slice(2);
    /** @type {number|null} */
    this.itemId = null;
    this.version = 0;
    /** @type {SaveStatus} */
    this.status = 'saved';
    this.dirty = false;
    /** @type {ConflictInfo|null} */
    this.conflict = null;
    /** @type {Promise<void>|null} */
    this.inflight = null;
    /** @type {ReturnType<typeof setTimeout>|undefined} */
    this.timer = undefined;
    this.retryMs = RETRY_FIRST_MS;
    /**
     * What the server has not acknowledged, by shape id: the shape as the server last had it
     * (before) and as it is now (after). A PATCH is built from it; a PUT does not need it.
     * @type {Map<string, {before: import('./state.js').Shape|null, after: import('./state.js').Shape|null}>}
     */
    this.pending = new Map();
    this.wholeNext = false;

    state.addEventListener('change', (event) => {
      const { origin, changeSet } = /** @type {CustomEvent} */ (event).detail;
      if (origin === 'load') {
        this.pending.clear();
        return;
      }
      this.record(changeSet);
      this.changed();
    });
    window.addEventListener('online', () => {
      if (this.status === 'offline') this.schedule(0);
    });
  }

  /**
   * Starts tracking a freshly loaded item at the server's version.
   * @param {number} itemId
   * @param {number} version
   */
  attach(itemId, version) {
    clearTimeout(this.timer);
    this.itemId = itemId;
    this.version = version;
    this.dirty = false;
    this.conflict = null;
    this.retryMs = RETRY_FIRST_MS;
    this.pending.clear();
    this.setStatus('saved');
  }

  /** @param {import('./state.js').ChangeSet} changeSet */
  record(changeSet) {
    for (const change of changeSet) {
      const earlier = this.pending.get(change.id);
      const before = earlier ? earlier.before : change.before;
      if (!before && !change.after) this.pending.delete(change.id); // added, then removed
      else this.pending.set(change.id, { before, after: change.after });
    }
  }

  changed() {
    if (this.itemId === null) return;
    this.dirty = true;
    this.writeLocal();
    if (this.status === 'saved' || this.status === 'saving') this.setStatus('dirty');
    if (!this.conflict) this.schedule(DEBOUNCE_MS);
  }

  /** @param {number} delay */
  schedule(delay) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), delay);
  }

  /**
   * Sends the current shapes unless a request is already out (it re-sends after that one).
   * @returns {Promise<void>}
   */
  flush() {
    clearTimeout(this.timer);
    if (this.inflight || !this.dirty || this.conflict || this.itemId === null) {
      return this.inflight || Promise.resolve();
    }
    this.inflight = this.send().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  /** @param {boolean} [whole] send every shape (after a conflict) even where PATCH exists */
  async send(whole = false) {
    const itemId = /** @type {number} */ (this.itemId);
    const revision = this.state.revision;
    const sent = new Map(this.pending);
    this.setStatus('saving');
    try {
      const { doc, version } =
        this.api.supportsPatch && !whole && !this.wholeNext
          ? await this.api.patchAnnotation(itemId, changeSetBody(sent), this.version)
          : await this.api.saveAnnotation(itemId, this.state.list(), this.version);
      if (itemId !== this.itemId) return; // the user moved on; the next item is tracked afresh
      for (const [id, change] of sent) {
        if (this.pending.get(id)?.after === change.after) this.pending.delete(id);
      }
      this.wholeNext = false;
      this.version = version;
      this.retryMs = RETRY_FIRST_MS;
      if (this.state.revision === revision) {
        this.dirty = false;
        this.clearLocal();
        this.setStatus('saved');
      } else {
        this.writeLocal(); // its base is now the acknowledged version
        this.setStatus('dirty');
        this.schedule(DEBOUNCE_MS);
      }
      this.dispatchEvent(new CustomEvent('saved', { detail: { doc } }));
    } catch (error) {
      if (itemId === this.itemId) this.failed(error);
    }
  }

  /** @param {unknown} error */
  failed(error) {
    if (error instanceof NetworkError) {
      this.setStatus('offline');
      this.schedule(this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
      return;
    }
    if (error instanceof ApiError && (error.status === 412 || error.status === 409)) {
      const serverVersion = error.body.current_version ?? null;
      this.enterConflict({
        reason: error.status === 409 ? 'locked' : 'stale',
        serverVersion: typeof serverVersion === 'number' ? serverVersion : null,
        message: error.message,
      });
      return;
    }
    this.setStatus('dirty');
    const message = error instanceof Error ? error.message : String(error);
    this.dispatchEvent(
      new CustomEvent('error', {
        detail: { message, errors: error instanceof ApiError ? error.body.errors : null },
      }),
    );
  }

  /** @param {ConflictInfo} conflict */
  enterConflict(conflict) {
    clearTimeout(this.timer);
    this.conflict = conflict;
    this.setStatus('conflict');
    this.dispatchEvent(new CustomEvent('conflict', { detail: conflict }));
  }

  /** Overwrites the server's copy with this tab's shapes, on top of the version it reported. */
  keepMine() {
    if (!this.conflict || this.conflict.serverVersion === null) return Promise.resolve();
    this.version = this.conflict.serverVersion;
    this.conflict = null;
    this.dirty = true;
    this.wholeNext = true; // the server's copy differs beyond our change set
    this.writeLocal();
    return this.flush();
  }

  /**
   * Saves now and waits until the server holds the current shapes.
   * @returns {Promise<boolean>} false when offline, in conflict or refused
   */
  async settle() {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      if (this.inflight) await this.inflight;
      if (!this.dirty) return !this.conflict;
      if (this.conflict) return false;
      const revision = this.state.revision;
      await this.flush();
      if (this.dirty && this.state.revision === revision) return false; // refused
    }
    return !this.dirty;
  }

  /** @param {SaveStatus} status */
  setStatus(status) {
    this.status = status;
    this.dispatchEvent(new CustomEvent('status', { detail: { status, version: this.version } }));
  }

  // --- the local copy ------------------------------------------------------------------------

  get key() {
    return `${KEY_PREFIX}${this.username}:${this.itemId}`;
  }

  writeLocal() {
    /** @type {LocalCopy} */
    const copy = {
      baseVersion: this.version,
      shapes: this.state.list(),
      savedAt: Date.now(),
      tab: this.tab,
    };
    try {
      localStorage.setItem(this.key, JSON.stringify(copy));
    } catch {
      // Storage full or disabled: the server copy is still the one that counts.
    }
  }

  /** @returns {LocalCopy|null} */
  readLocal() {
    try {
      const text = localStorage.getItem(this.key);
      return text ? JSON.parse(text) : null;
    } catch {
      return null;
    }
  }

  /** Forgets the local copy if it is this tab's (another tab may hold unsent work of its own). */
  clearLocal() {
    const copy = this.readLocal();
    if (copy && copy.tab !== this.tab) return;
    this.discardLocal();
  }

  discardLocal() {
    try {
      localStorage.removeItem(this.key);
    } catch {
      // nothing to do
    }
  }

  /**
   * Unsent shapes left by an earlier visit that differ from what the server holds, or null.
   * @param {import('./state.js').Shape[]} serverShapes
   * @returns {LocalCopy|null}
   */
  unsentCopy(serverShapes) {
    const copy = this.readLocal();
    if (!copy || !Array.isArray(copy.shapes)) return null;
    if (sameShapes(copy.shapes, serverShapes)) {
      this.discardLocal(); // it did reach the server before the page went away
      return null;
    }
    return copy;
  }
}
