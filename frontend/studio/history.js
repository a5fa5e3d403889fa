// @ts-check
/**
 * Items opened in this tab, oldest first, so "Previous" can go back through them (the queue
 * API only hands out the next one). Kept per tab and project in sessionStorage.
 */

const LIMIT = 200;

export class ItemHistory {
  /** @param {number} projectId */
  constructor(projectId) {
    this.key = `loupe:history:${projectId}`;
    /** Used when storage is unavailable: "Previous" then reaches what this page load saw. */
    /** @type {number[]} */
    this.memory = [];
  }

  /** @returns {number[]} */
  ids() {
    try {
      const ids = JSON.parse(sessionStorage.getItem(this.key) || 'null');
      return Array.isArray(ids) ? ids.filter(Number.isInteger) : this.memory;
    } catch {
      return this.memory;
    }
  }

  /** @param {number[]} ids */
  write(ids) {
    this.memory = ids.slice(-LIMIT);
    try {
      sessionStorage.setItem(this.key, JSON.stringify(this.memory));
    } catch {
      // the in-memory copy serves
    }
  }

  /** @param {number} itemId */
  remember(itemId) {
    this.write([...this.ids().filter((id) => id !== itemId), itemId]);
  }

  /** Forgets what came after the item (going back to it). @param {number} itemId */
  truncateAfter(itemId) {
    const ids = this.ids();
    this.write(ids.slice(0, ids.lastIndexOf(itemId) + 1));
  }

  /** The item opened before this one (or the last one, for null), if any. @param {number|null} itemId */
  before(itemId) {
    const ids = this.ids();
    const at = itemId === null ? ids.length : ids.lastIndexOf(itemId);
    return at > 0 ? ids[at - 1] : null;
  }
}
