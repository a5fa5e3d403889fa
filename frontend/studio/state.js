// @ts-check
/**
 * The document being edited: shapes by id, in drawing order. Every edit is a change set given to
 * `apply`; undo and redo replay the inverse or the same change set, so the saver, the canvas and
 * the panels only ever listen to one event.
 */

/**
 * @typedef {{id: string, label: string, kind: string, points: number[],
 *   attributes: Record<string, any>, occluded: boolean, rotation?: number, rle?: any,
 *   label_id?: string, prediction?: {score: number|null, source: string}}} Shape
 * A shape with `prediction` is a model's proposal shown for review: never saved until the
 * user accepts it (drops the field) or edits it (which accepts it with the edit).
 * A change of one shape: before null = added, after null = removed. `index` is the position
 * the shape had (removals) or takes (additions), so undoing a delete puts it back in place.
 * @typedef {{id: string, before: Shape|null, after: Shape|null, index?: number}} Change
 * @typedef {Change[]} ChangeSet
 * @typedef {'user'|'undo'|'redo'|'load'|'remote'} Origin
 */

const HISTORY_LIMIT = 500;

/**
 * A copy in the server's key order, so comparing JSON text compares content.
 * @param {Shape} shape
 * @returns {Shape}
 */
export function normaliseShape(shape) {
  /** @type {Shape} */
  const out = {
    id: shape.id,
    label: shape.label,
    kind: shape.kind,
    points: (shape.points || []).map(Number),
    attributes: { ...(shape.attributes || {}) },
    occluded: Boolean(shape.occluded),
  };
  if (shape.rotation) out.rotation = shape.rotation;
  if (shape.rle !== undefined) out.rle = shape.rle;
  if (shape.label_id) out.label_id = shape.label_id; // last, as the server stores it
  if (shape.prediction) out.prediction = shape.prediction; // never sent: the saver skips it
  return out;
}

/** @param {Shape[]} a @param {Shape[]} b */
export function sameShapes(a, b) {
  return JSON.stringify(a.map(normaliseShape)) === JSON.stringify(b.map(normaliseShape));
}

/** @param {ChangeSet} changeSet @returns {ChangeSet} */
function inverse(changeSet) {
  return changeSet
    .map((change) => ({
      id: change.id,
      before: change.after,
      after: change.before,
      index: change.index,
    }))
    .reverse();
}

export class State extends EventTarget {
  constructor() {
    super();
    /** @type {Map<string, Shape>} */
    this.shapes = new Map();
    /** @type {string[]} */
    this.order = [];
    /** @type {ChangeSet[]} */
    this.undoStack = [];
    /** @type {ChangeSet[]} */
    this.redoStack = [];
    /** @type {string|null} */
    this.selectedId = null;
    /** Bumped on every change, so the saver can tell whether what it sent is still current. */
    this.revision = 0;
    this.readOnly = false;
    /** @type {string|null} the last user edit's merge key (keystrokes in one field) */
    this.mergeKey = null;
  }

  /** @returns {Shape[]} shapes in drawing order */
  list() {
    return this.order.map((id) => /** @type {Shape} */ (this.shapes.get(id)));
  }

  /** @returns {Shape[]} the document's shapes, without the predictions on review */
  documentShapes() {
    return this.list().filter((shape) => !shape.prediction);
  }

  /** @param {string|null|undefined} id @returns {Shape|undefined} */
  get(id) {
    return id ? this.shapes.get(id) : undefined;
  }

  /** @returns {Shape|undefined} */
  selected() {
    return this.get(this.selectedId);
  }

  /**
   * Replaces everything (a newly opened item, or the server's copy after a conflict).
   * @param {Shape[]} shapes
   */
  load(shapes) {
    this.shapes = new Map(shapes.map((shape) => [shape.id, normaliseShape(shape)]));
    this.order = shapes.map((shape) => shape.id);
    this.undoStack = [];
    this.redoStack = [];
    this.selectedId = null;
    this.revision += 1;
    this.emit([], 'load');
    this.dispatchEvent(new CustomEvent('select', { detail: { id: null } }));
  }

  /**
   * @param {ChangeSet} changeSet
   * @param {Origin} [origin]
   * @param {string|null} [mergeKey] consecutive user edits with the same key undo as one
   * @returns {boolean} whether anything changed
   */
  apply(changeSet, origin = 'user', mergeKey = null) {
    if (this.readOnly || changeSet.length === 0) return false;
    /** @type {ChangeSet} */
    const applied = [];
    for (const change of changeSet) {
      const index = this.order.indexOf(change.id);
      if (change.after === null) {
        if (index < 0) continue;
        this.order.splice(index, 1);
        this.shapes.delete(change.id);
        applied.push({ ...change, index });
        if (this.selectedId === change.id) this.select(null);
      } else if (index < 0) {
        const at = change.index ?? this.order.length;
        const stored = normaliseShape(change.after);
        this.order.splice(Math.min(at, this.order.length), 0, change.id);
        this.shapes.set(change.id, stored);
        applied.push({ ...change, after: stored, index: at });
      } else {
        // The change set carries the shapes as stored, so listeners see exactly the document.
        const before = /** @type {Shape} */ (this.shapes.get(change.id));
        const stored = normaliseShape(change.after);
        // The user's edit of a prediction accepts it, edit included, in the same undo step.
        if (origin === 'user' && before.prediction) delete stored.prediction;
        this.shapes.set(change.id, stored);
        applied.push({ ...change, before, after: stored, index });
      }
    }
    if (applied.length === 0) return false;
    if (origin === 'user') {
      const top = this.undoStack[this.undoStack.length - 1];
      if (mergeKey && mergeKey === this.mergeKey && top?.length === 1 && applied.length === 1 && top[0].id === applied[0].id) {
        top[0] = { ...applied[0], before: top[0].before };
      } else {
        this.undoStack.push(applied);
        if (this.undoStack.length > HISTORY_LIMIT) this.undoStack.shift();
      }
      this.mergeKey = mergeKey;
      this.redoStack = [];
    }
    this.revision += 1;
    this.emit(applied, origin);
    return true;
  }

  /** @param {Shape} shape */
  add(shape) {
    return this.apply([{ id: shape.id, before: null, after: shape }]);
  }

  /**
   * @param {string} id
   * @param {Partial<Shape>} fields
   * @param {string|null} [mergeKey] see apply()
   */
  update(id, fields, mergeKey = null) {
    const before = this.shapes.get(id);
    if (!before) return false;
    const after = { ...before, ...fields };
    if (JSON.stringify(normaliseShape(after)) === JSON.stringify(before)) return false;
    return this.apply([{ id, before, after }], 'user', mergeKey);
  }

  /** @param {string} id */
  remove(id) {
    const before = this.shapes.get(id);
    return before ? this.apply([{ id, before, after: null }]) : false;
  }

  undo() {
    return this.replay(this.undoStack, this.redoStack, 'undo', true);
  }

  redo() {
    return this.replay(this.redoStack, this.undoStack, 'redo', false);
  }

  /**
   * @param {ChangeSet[]} from
   * @param {ChangeSet[]} to
   * @param {Origin} origin
   * @param {boolean} invert
   */
  replay(from, to, origin, invert) {
    const changeSet = from.pop();
    if (!changeSet || this.readOnly) return false;
    to.push(changeSet); // before the change event, so listeners see both stacks as they end up
    this.apply(invert ? inverse(changeSet) : changeSet, origin);
    // Put the selection on what the step touched, so the user sees what came back.
    const touched = changeSet.map((change) => change.id).find((id) => this.shapes.has(id));
    this.select(touched ?? null);
    return true;
  }

  /** @param {string|null} id */
  select(id) {
    const next = id && this.shapes.has(id) ? id : null;
    if (next === this.selectedId) return;
    this.selectedId = next;
    this.dispatchEvent(new CustomEvent('select', { detail: { id: next } }));
  }

  /**
   * @param {ChangeSet} changeSet
   * @param {Origin} origin
   */
  emit(changeSet, origin) {
    this.dispatchEvent(new CustomEvent('change', { detail: { changeSet, origin } }));
  }
}

/**
 * The change set that turns `from` into `to` (restoring a local copy over the server's shapes).
 * @param {Shape[]} from
 * @param {Shape[]} to
 * @returns {ChangeSet}
 */
export function diffShapes(from, to) {
  const before = new Map(from.map((shape) => [shape.id, shape]));
  const kept = new Set(to.map((shape) => shape.id));
  /** @type {ChangeSet} */
  const changes = from
    .filter((shape) => !kept.has(shape.id))
    .map((shape) => ({ id: shape.id, before: shape, after: null }));
  to.forEach((shape, index) => {
    const old = before.get(shape.id) || null;
    if (!old) changes.push({ id: shape.id, before: null, after: shape, index });
    else if (JSON.stringify(normaliseShape(old)) !== JSON.stringify(normaliseShape(shape))) {
      changes.push({ id: shape.id, before: old, after: shape });
    }
  });
  return changes;
}
