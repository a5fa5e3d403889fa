// @ts-check
/**
 * The conflict banner: why the saver could not simply save, and for each shape changed on both
 * sides of a merge, a choice between the two versions.
 */

/**
 * @param {{saver: import('./saver.js').Saver, state: import('./state.js').State,
 *   canvas: import('./canvas.js').CanvasView, ui: import('./page.js').StudioUi}} context
 */
export function bindConflicts({ saver, state, canvas, ui }) {
  saver.addEventListener('conflict', (event) => {
    const conflict = /** @type {import('./saver.js').ConflictInfo} */ (
      /** @type {CustomEvent} */ (event).detail
    );
    if (!conflict) return;
    if (conflict.reason === 'locked') {
      ui.conflictText.textContent =
        'This annotation was accepted by a reviewer and can no longer be edited. ' +
        'Reload to see the accepted version.';
    } else if (conflict.reason === 'merge') {
      const count = conflict.conflicts?.length || 0;
      ui.conflictText.textContent =
        `Another tab or person saved this item (now version ${conflict.serverVersion}). ` +
        'Changes to different shapes were merged. ' +
        `${count === 1 ? 'One shape was' : `${count} shapes were`} changed on both sides: ` +
        'choose which version to keep.';
    } else {
      ui.conflictText.textContent =
        'Someone (or another tab) saved this item since you loaded it, and it could not be ' +
        'merged. Your edits are kept in this tab and in this browser; reload to take the saved version.';
    }
    renderConflicts(conflict.conflicts || []);
    ui.conflict.hidden = false;
  });

  /**
   * One row per shape changed on both sides: what it is, and a button for each side. Pointing at
   * a row selects (highlights) the shape.
   * @param {import('./saver.js').ShapeConflict[]} conflicts
   */
  function renderConflicts(conflicts) {
    ui.conflictList.replaceChildren();
    ui.conflictList.hidden = conflicts.length === 0;
    for (const { id, mine, theirs } of conflicts) {
      const row = document.createElement('li');
      row.className = 'conflict-row';
      row.dataset.testid = 'conflict-row';
      row.dataset.shapeId = id;
      const name = document.createElement('span');
      const shape = mine || theirs;
      const what = !mine ? ' (you deleted it)' : !theirs ? ' (deleted by the other side)' : '';
      const place = state.order.indexOf(id);
      const number = place >= 0 ? ` #${place + 1}` : '';
      name.textContent = `${shape ? `${shape.label} ${shape.kind}` : 'shape'}${number}${what}`;
      const show = () => {
        if (state.get(id)) {
          state.select(id);
          const bounds = canvas.boundsOf(/** @type {import('./state.js').Shape} */ (state.get(id)));
          if (bounds) canvas.reveal(bounds);
        }
      };
      row.addEventListener('mouseenter', show);
      row.addEventListener('focusin', show);
      /** @param {'mine'|'theirs'} side @param {string} text */
      const button = (side, text) => {
        const element = document.createElement('button');
        element.type = 'button';
        element.className = side === 'mine' ? 'button' : 'button primary';
        element.dataset.testid = `conflict-keep-${side}`;
        element.textContent = text;
        element.addEventListener('click', () => {
          saver.resolve(id, side);
          if (!saver.conflict) ui.conflict.hidden = true;
        });
        return element;
      };
      row.append(name, button('mine', 'Keep mine'), button('theirs', 'Keep theirs'));
      ui.conflictList.append(row);
    }
  }
}
