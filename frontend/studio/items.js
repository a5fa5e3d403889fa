// @ts-check
/**
 * Opening items to label: the queue's next one, one item by id, or an item's gold answer, with
 * the item's place in the project and the changes an earlier visit could not send.
 */

/**
 * @param {import('./page.js').Core} core
 * @param {{predictions: import('./predictions.js').Predictions,
 *   review: import('./review.js').Review, itemHistory: import('./history.js').ItemHistory,
 *   previousItemId: () => number|null, setPhase: (phase: import('./phase.js').Phase) => void,
 *   course: () => import('./training.js').Course|null}} parts
 */
export function createItems(core, parts) {
  const { predictions, review, itemHistory, previousItemId, setPhase, course } = parts;
  const { config, queueMode, ui, api, state, canvas, saver, session, say, setDocStatus } = core;

  /** @type {Promise<{count: number, ids: number[]|null}>|null} */
  let projectItems = null;

  /** "Item n of N": N the items the user may label, n the item's place among them by id. */
  async function showPosition(/** @type {number} */ itemId) {
    ui.previous.disabled = previousItemId() === null;
    try {
      projectItems = projectItems || api.projectItems(config.projectId);
      const { count, ids } = await projectItems;
      const index = ids ? ids.indexOf(itemId) : -1;
      ui.position.textContent = index >= 0 ? `Item ${index + 1} of ${count}` : `${count} items`;
    } catch {
      ui.position.textContent = '';
    }
  }

  /**
   * Opens an item known by id only (the page's item): its record, image and document are
   * requested at once, not the record first, since the other two need only the id.
   * @param {number} itemId
   */
  async function openItemById(itemId) {
    setPhase('loading');
    predictions.open(itemId);
    const [item, image, annotation] = await Promise.all([
      api.item(itemId),
      api.image({ id: itemId }),
      api.annotation(itemId),
    ]);
    await openItem(item, { image, annotation });
  }

  /**
   * @param {import('./api.js').Item} item
   * @param {{image: ImageBitmap, annotation: {doc: import('./api.js').AnnotationDoc, version: number}}} [loaded]
   *   the image and document when they were requested with the item (openItemById)
   */
  async function openItem(item, loaded) {
    setPhase('loading');
    ui.itemName.textContent = item.name;
    ui.itemName.title = `Item ${item.id}`;
    if (!loaded) predictions.open(item.id); // shown once both they and the document are in
    const [image, { doc, version }] = loaded
      ? [loaded.image, loaded.annotation]
      : await Promise.all([api.image(item), api.annotation(item.id)]);
    session.item = item;
    state.readOnly = doc.status === 'accepted';
    state.load(doc.shapes);
    canvas.setImage(image);
    saver.attach(item.id, version);
    setDocStatus(doc.status);
    ui.imageSize.textContent = `${image.width}×${image.height}`;
    setPhase('ready');
    if (queueMode && !session.revisiting) itemHistory.remember(item.id);
    const training = course();
    const coursePosition = training && !session.revisiting ? training.positionText() : '';
    if (coursePosition) ui.position.textContent = coursePosition;
    else showPosition(item.id);
    if (state.readOnly) say('This annotation was accepted by a reviewer: it is read-only.');
    restoreUnsent(doc.shapes, version);
    review.show(doc, { reviewing: false });
  }

  /**
   * Opens the item's gold answer (empty when none is given yet) for a manager to draw.
   * @param {import('./api.js').Item} item
   * @param {import('./gold.js').GoldSaver} gold
   */
  async function openGold(item, gold) {
    setPhase('loading');
    ui.itemName.textContent = `${item.name} · gold answer`;
    ui.itemName.title = `Item ${item.id}`;
    const [image, answer] = await Promise.all([api.image(item), gold.load(item.id)]);
    session.item = item;
    state.readOnly = false;
    state.load(answer.shapes);
    canvas.setImage(image);
    gold.attach(item.id, 0);
    setDocStatus('gold');
    /** @type {HTMLElement} */ (ui.docVersion.parentElement).hidden = true; // a gold answer has none
    ui.imageSize.textContent = `${image.width}×${image.height}`;
    setPhase('ready');
  }

  /**
   * Puts back changes a previous visit could not send. Made on the version the server still has,
   * they are simply saved; made on an older one, they are merged by shape with the server's.
   * @param {import('./state.js').Shape[]} serverShapes
   * @param {number} serverVersion
   */
  function restoreUnsent(serverShapes, serverVersion) {
    const copy = saver.unsentCopy(serverShapes);
    if (!copy || state.readOnly) return;
    const stale = saver.restore(copy, serverShapes, serverVersion);
    if (!stale) say('Restored changes that had not reached the server; saving them now.');
  }

  async function nextFromQueue() {
    setPhase('loading');
    session.revisiting = false;
    const training = course();
    if (training && !(await training.ready())) return;
    const item = await api.queueNext(config.projectId);
    if (!item) {
      session.item = null;
      state.load([]);
      canvas.setImage(null);
      ui.itemName.textContent = 'Queue finished';
      setPhase('empty');
      return;
    }
    await openItem(item);
  }

  return { openItem, openItemById, openGold, nextFromQueue };
}
