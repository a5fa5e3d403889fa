// @ts-check
/**
 * A uniform grid over the image: each shape is listed in the cells its bounds cover, so a hit
 * test or a viewport query looks at the shapes near a point, not at all of them.
 */

const CELL = 128; // image pixels; a 4000×3000 image has ~750 cells

export class GridIndex {
  constructor() {
    /** @type {Map<number, Set<string>>} */
    this.cells = new Map();
    /** @type {Map<string, number[]>} id -> bounds */
    this.bounds = new Map();
  }

  clear() {
    this.cells.clear();
    this.bounds.clear();
  }

  /** @param {number[]} b @param {(key: number) => void} visit */
  static eachCell(b, visit) {
    const cx1 = Math.floor(b[0] / CELL);
    const cy1 = Math.floor(b[1] / CELL);
    const cx2 = Math.floor(b[2] / CELL);
    const cy2 = Math.floor(b[3] / CELL);
    for (let cy = cy1; cy <= cy2; cy += 1) {
      for (let cx = cx1; cx <= cx2; cx += 1) visit((cy + 4096) * 8192 + (cx + 4096));
    }
  }

  /** @param {string} id @param {number[]|null} bounds */
  set(id, bounds) {
    this.remove(id);
    if (!bounds) return;
    this.bounds.set(id, bounds);
    GridIndex.eachCell(bounds, (key) => {
      let cell = this.cells.get(key);
      if (!cell) this.cells.set(key, (cell = new Set()));
      cell.add(id);
    });
  }

  /** @param {string} id */
  remove(id) {
    const old = this.bounds.get(id);
    if (!old) return;
    this.bounds.delete(id);
    GridIndex.eachCell(old, (key) => this.cells.get(key)?.delete(id));
  }

  /**
   * Ids whose bounds meet the rectangle.
   * @param {number[]} rect [x1, y1, x2, y2] @returns {Set<string>}
   */
  query(rect) {
    const found = new Set();
    const cellCount =
      (Math.floor(rect[2] / CELL) - Math.floor(rect[0] / CELL) + 1) *
      (Math.floor(rect[3] / CELL) - Math.floor(rect[1] / CELL) + 1);
    if (cellCount > this.cells.size) {
      for (const [id, b] of this.bounds) if (meets(b, rect)) found.add(id);
      return found;
    }
    GridIndex.eachCell(rect, (key) => {
      for (const id of this.cells.get(key) || []) {
        if (!found.has(id) && meets(/** @type {number[]} */ (this.bounds.get(id)), rect)) found.add(id);
      }
    });
    return found;
  }
}

/** @param {number[]} a @param {number[]} b */
function meets(a, b) {
  return a[0] <= b[2] && a[2] >= b[0] && a[1] <= b[3] && a[3] >= b[1];
}
