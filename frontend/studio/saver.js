// @ts-check
/**
 * Autosave. Every change is written to localStorage at once and sent ~600 ms after the last one
 * with If-Match, one request at a time, as the change set of what is not yet acknowledged
 * (PATCH add/update/delete by shape id), so a one-shape edit costs one shape whatever the
 * document's size. The local copy (the pending changes, each with its base and its place in
 * the list) is dropped only when the server has acknowledged exactly what it holds, so a closed
 * tab, a dropped connection or a crashed browser loses nothing; it is as small as the edits,
 * not the document (a copy of 5,000 polygons cost 20 ms of every edit, and local storage fills).
 *
 * A stale version (412) is merged by shape: the server's document is fetched, the shapes only
 * the other side changed come into the page, this tab's changes to shapes the other side left
 * alone are re-sent on top of the server's version, and only the shapes changed on both sides
 * (or deleted on one and edited on the other) wait for the user's choice. A locked document
 * (409) stops autosave; network failures retry with backoff.
 */

import { ApiError, NetworkError } from './api.js';
import { normaliseShape, sameShapes } from './state.js';

/**
 * @typedef {import('./state.js').Shape} Shape
 * @typedef {{before: Shape|null|undefined, after: Shape|null}} Pending
 * `before` is the shape as the server last acknowledged it (null: not there); undefined when the
 * base is unknown (a local copy from an older studio), so any difference is the user's choice.
 * @typedef {{id: string, mine: Shape|null, theirs: Shape|null}} ShapeConflict
 */

/** @param {Shape|null|undefined} a @param {Shape|null|undefined} b */
function sameShape(a, b) {
  if (!a || !b) return !a && !b;
  return JSON.stringify(normaliseShape(a)) === JSON.stringify(normaliseShape(b));
}

/**
 * A change as the document sees it: a prediction is not in the document, so accepting one is
 * an addition, undoing that a deletion, and rejecting one is no change at all.
 * @param {import('./state.js').Change} change
 * @returns {import('./state.js').Change|null}
 */
function inDocument(change) {
  const before = change.before?.prediction ? null : change.before;
  const after = change.after?.prediction ? null : change.after;
  return before || after ? { ...change, before, after } : null;
}

/**
 * Three-way merge of this tab's unacknowledged changes with the server's shapes: base = each
 * change's `before`, mine = its `after`, theirs = the server's shape of that id.
 * @param {Map<string, Pending>} pending
 * @param {Map<string, Shape>} theirs
 * @returns {{clean: Map<string, Pending>, conflicts: ShapeConflict[]}} changes to re-send on
 *   top of theirs, and the shapes changed on both sides
 */
export function mergeChanges(pending, theirs) {
  /** @type {Map<string, Pending>} */
  const clean = new Map();
  /** @type {ShapeConflict[]} */
  const conflicts = [];
  for (const [id, { before, after }] of pending) {
    const server = theirs.get(id) ?? null;
    if (sameShape(server, after)) continue; // both sides made the same change
    if (before !== undefined && sameShape(server, before)) clean.set(id, { before: server, after });
    else conflicts.push({ id, mine: after, theirs: server });
  }
  return { clean, conflicts };
}

/**
 * The PATCH body for unacknowledged changes: shapes added, updated (whole shapes) and deleted.
 * @param {Map<string, Pending>} pending
 */
export function changeSetBody(pending) {
  /** @type {{add: Shape[], update: Shape[], delete: string[]}} */
  const body = { add: [], update: [], delete: [] };
  for (const [id, { before, after }] of pending) {
    if (!after) body.delete.push(id);
    else if (!before) body.add.push(after);
    else body.update.push(after);
  }
  return body;
}

/**
 * The change set with its additions in the page's order, when applying it gives the page's
 * order: the server appends additions, so they must be the document's last shapes. A shape put
 * back in the middle (the undo of a delete, a restored copy) is not: null, and the whole
 * document is sent instead, so the order the user sees is the order saved.
 * @param {{add: Shape[], update: Shape[], delete: string[]}} body
 * @param {Shape[]} shapes the document in the page, in order
 */
export function patchInPageOrder(body, shapes) {
  if (!body.add.length) return body;
  const tail = shapes.slice(shapes.length - body.add.length);
  const adding = new Set(body.add.map((shape) => shape.id));
  if (!tail.every((shape) => adding.has(shape.id))) return null;
  return { ...body, add: tail };
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
 * @typedef {{baseVersion: number, savedAt: number, tab: string, shapes?: Shape[],
 *   changes?: {id: string, before: Shape|null, after: Shape|null, index?: number}[]}} LocalCopy
 * `shapes` (the whole document) is only in copies written by an older studio; `index` is where
 * an added or changed shape stands in the list.
 * @typedef {{reason: 'stale'|'locked'|'merge', serverVersion: number|null, message: string,
 *   conflicts?: ShapeConflict[]}} ConflictInfo
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
    /** The last send was refused (a 400): settle() stops asking until the user changes it. */
    this.refused = false;
    /**
     * What the server has not acknowledged, by shape id: the shape as the server last had it
     * (before) and as it is now (after). A PATCH is built from it, and a 412 merged with it.
     * @type {Map<string, Pending>}
     */
    this.pending = new Map();
    /** Shapes changed on both sides after a merge, waiting for the user's choice, by id. */
    /** @type {Map<string, ShapeConflict>} */
    this.conflicts = new Map();

    state.addEventListener('change', (event) => {
      const { origin, changeSet } = /** @type {CustomEvent} */ (event).detail;
      if (origin === 'load') {
        this.pending.clear();
        return;
      }
      if (origin === 'remote') return; // the server's own shapes, brought in by a merge
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
    this.conflicts.clear();
    this.setStatus('saved');
  }

  /** @param {import('./state.js').ChangeSet} changeSet */
  record(changeSet) {
    for (const change of changeSet.map(inDocument)) {
      if (!change) continue;
      const earlier = this.pending.get(change.id);
      const before = earlier ? earlier.before : change.before;
      if (!before && !change.after) this.pending.delete(change.id); // added, then removed
      else if (before && sameShape(before, change.after)) this.pending.delete(change.id); // undone
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

  async send() {
    const itemId = /** @type {number} */ (this.itemId);
    const sent = new Map(this.pending);
    this.refused = false;
    this.setStatus('saving');
    try {
      const shapes = this.state.documentShapes();
      const body = this.api.supportsPatch ? patchInPageOrder(changeSetBody(sent), shapes) : null;
      const { doc, version } = body
        ? await this.api.patchAnnotation(itemId, body, this.version)
        : await this.api.saveAnnotation(itemId, shapes, this.version);
      if (itemId !== this.itemId) return; // the user moved on; the next item is tracked afresh
      for (const [id, change] of sent) {
        const now = this.pending.get(id);
        if (!now) {
          // Changed back while in flight (added then deleted, or undone): the server now holds
          // what was sent, so the way back is a change of its own.
          const current = this.state.get(id);
          const mine = current && !current.prediction ? current : null;
          if (!sameShape(mine, change.after)) this.pending.set(id, { before: change.after, after: mine });
          continue;
        }
        if (now.after === change.after) this.pending.delete(id);
        else now.before = change.after; // edited again while in flight: its base is what was sent
      }
      this.version = version;
      this.retryMs = RETRY_FIRST_MS;
      if (this.pending.size === 0 && this.conflicts.size === 0) {
        this.dirty = false;
        this.clearLocal();
        this.setStatus('saved');
      } else {
        this.writeLocal(); // its base is now the acknowledged version
        this.setStatus('dirty');
        this.schedule(DEBOUNCE_MS);
      }
      this.dispatchEvent(new CustomEvent('saved', { detail: { doc, version } }));
    } catch (error) {
      if (itemId === this.itemId) await this.failed(error);
      else if (error instanceof Error) this.refused = false;
    }
  }

  /** @param {unknown} error */
  async failed(error) {
    if (error instanceof NetworkError) {
      this.setStatus('offline');
      this.schedule(this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
      return;
    }
    if (error instanceof ApiError && error.status === 412) {
      try {
        await this.mergeWithServer();
      } catch (again) {
        if (again instanceof NetworkError) {
          this.setStatus('offline');
          this.schedule(this.retryMs);
          return;
        }
        const serverVersion = error.body.current_version;
        this.enterConflict({
          reason: 'stale',
          serverVersion: typeof serverVersion === 'number' ? serverVersion : null,
          message: error.message,
        });
      }
      return;
    }
    if (error instanceof ApiError && error.status === 409) {
      const serverVersion = error.body.current_version ?? null;
      this.enterConflict({
        reason: error.status === 409 ? 'locked' : 'stale',
        serverVersion: typeof serverVersion === 'number' ? serverVersion : null,
        message: error.message,
      });
      return;
    }
    this.refused = true;
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

  /**
   * Fetches the server's document and merges this tab's pending changes into it (see
   * mergeChanges): what only the server changed comes into the page, what only this tab changed
   * is re-sent at the server's version, and shapes changed on both sides wait for a choice.
   */
  async mergeWithServer() {
    const itemId = /** @type {number} */ (this.itemId);
    const { doc, version } = await this.api.annotation(itemId);
    if (itemId !== this.itemId) return;
    this.mergeShapes(doc.shapes, version);
  }

  /**
   * @param {Shape[]} serverShapes
   * @param {number} serverVersion
   */
  mergeShapes(serverShapes, serverVersion) {
    /** @type {Map<string, Shape>} */
    const theirs = new Map(serverShapes.map((shape) => [shape.id, normaliseShape(shape)]));
    // Shapes this tab did not touch take the server's state (its additions at their place).
    /** @type {import('./state.js').ChangeSet} */
    const remote = [];
    for (const shape of this.state.documentShapes()) {
      if (!this.pending.has(shape.id) && !this.conflicts.has(shape.id) && !theirs.has(shape.id)) {
        remote.push({ id: shape.id, before: shape, after: null });
      }
    }
    serverShapes.forEach((shape, index) => {
      if (this.pending.has(shape.id) || this.conflicts.has(shape.id)) return;
      const mine = this.state.get(shape.id) || null;
      if (!sameShape(mine, shape)) remote.push({ id: shape.id, before: mine, after: shape, index });
    });
    this.state.apply(remote, 'remote');

    const { clean, conflicts } = mergeChanges(this.pending, theirs);
    this.pending = clean;
    for (const conflict of conflicts) this.conflicts.set(conflict.id, conflict);
    this.version = serverVersion;
    this.retryMs = RETRY_FIRST_MS;
    this.dirty = this.pending.size > 0 || this.conflicts.size > 0;
    this.writeLocal();
    if (this.conflicts.size) {
      this.enterConflict({
        reason: 'merge',
        serverVersion,
        message: '',
        conflicts: [...this.conflicts.values()],
      });
      return;
    }
    this.conflict = null;
    this.resume();
  }

  /**
   * Settles one shape changed on both sides: this tab's version (as it is now in the page) or
   * the server's. When none is left, saving resumes.
   * @param {string} id
   * @param {'mine'|'theirs'} side
   */
  resolve(id, side) {
    const conflict = this.conflicts.get(id);
    if (!conflict) return;
    this.conflicts.delete(id);
    const current = this.state.get(id) || null;
    if (side === 'mine') {
      if (sameShape(current, conflict.theirs)) this.pending.delete(id);
      else this.pending.set(id, { before: conflict.theirs, after: current });
    } else {
      this.pending.delete(id);
      const index = this.state.order.indexOf(id);
      this.state.apply(
        [{ id, before: current, after: conflict.theirs, index: index < 0 ? undefined : index }],
        'remote',
      );
    }
    this.writeLocal();
    if (this.conflicts.size) {
      if (this.conflict) this.conflict.conflicts = [...this.conflicts.values()];
      this.dispatchEvent(new CustomEvent('conflict', { detail: this.conflict }));
      return;
    }
    this.conflict = null;
    this.dirty = this.pending.size > 0;
    this.resume();
  }

  /** Once no conflict is left: send what is pending now, or forget the local copy. */
  resume() {
    if (this.dirty) {
      this.setStatus('dirty');
      this.schedule(0);
    } else {
      this.clearLocal();
      this.setStatus('saved');
    }
  }

  /**
   * Puts back a local copy an earlier visit could not send: its pending changes are applied to
   * the page and merged with the server's shapes when the server has moved on since.
   * @param {LocalCopy} copy
   * @param {Shape[]} serverShapes
   * @param {number} serverVersion
   */
  restore(copy, serverShapes, serverVersion) {
    const stale = copy.baseVersion !== serverVersion;
    /** @type {Map<string, Pending>} */
    const changes = new Map();
    if (Array.isArray(copy.changes)) {
      for (const { id, before, after } of copy.changes) changes.set(id, { before, after });
    } else {
      // An older copy without its base: where the server differs, the user chooses.
      const server = new Map(serverShapes.map((shape) => [shape.id, shape]));
      const shapes = copy.shapes || [];
      const kept = new Set(shapes.map((shape) => shape.id));
      for (const shape of serverShapes) {
        if (!kept.has(shape.id)) changes.set(shape.id, { before: stale ? undefined : shape, after: null });
      }
      for (const shape of shapes) {
        const old = server.get(shape.id) || null;
        if (!sameShape(old, shape)) changes.set(shape.id, { before: stale ? undefined : old, after: shape });
      }
    }
    /** @type {import('./state.js').ChangeSet} */
    const apply = [];
    /** @type {Map<string, number>} */
    const places = new Map();
    if (Array.isArray(copy.shapes)) copy.shapes.forEach((shape, index) => places.set(shape.id, index));
    else for (const change of copy.changes || []) if (typeof change.index === 'number') places.set(change.id, change.index);
    for (const [id, { after }] of changes) {
      const now = this.state.get(id) || null;
      if (sameShape(now, after)) continue;
      apply.push({ id, before: now, after, index: places.get(id) });
    }
    this.state.apply(apply, 'user');
    this.pending = changes; // with their own base, not the server's shapes the page loaded
    if (stale) this.mergeShapes(serverShapes, serverVersion);
    else if (this.pending.size) this.changed();
    return stale;
  }

  /**
   * Saves now and waits until the server holds the current shapes.
   * @returns {Promise<boolean>} false when offline, in conflict or refused
   */
  async settle() {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      if (this.inflight) await this.inflight;
      if (this.conflict) return false;
      if (!this.dirty) return true;
      if (this.refused || this.status === 'offline') return false;
      await this.flush();
    }
    return !this.dirty && !this.conflict;
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
      changes: [...this.pending].map(([id, { before, after }]) => ({
        id,
        before: before ?? null,
        after,
        index: after ? this.state.order.indexOf(id) : undefined,
      })),
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
   * @param {Shape[]} serverShapes
   * @returns {LocalCopy|null}
   */
  unsentCopy(serverShapes) {
    const copy = this.readLocal();
    if (!copy) return null;
    let reached;
    if (Array.isArray(copy.changes) && !Array.isArray(copy.shapes)) {
      const server = new Map(serverShapes.map((shape) => [shape.id, shape]));
      reached = copy.changes.every(({ id, after }) => sameShape(server.get(id) || null, after));
    } else if (Array.isArray(copy.shapes)) {
      reached = sameShapes(copy.shapes, serverShapes);
    } else {
      return null;
    }
    if (reached) {
      this.discardLocal(); // it did reach the server before the page went away
      return null;
    }
    return copy;
  }
}
