// @ts-check
/**
 * The studio page itself: its configuration (from the #page-config script), the modes it
 * implies, and the status bar and message elements the other modules write to.
 */

/**
 * @typedef {{projectId: number, projectName: string, itemId: number|null, role: string,
 *   username: string, labels: import('./labels.js').LabelClass[], guidelines: string,
 *   apiRoot: string, documentId?: number|null, reviewQueue?: boolean, gold?: boolean}} PageConfig
 */

/**
 * @param {string} testid
 * @returns {HTMLElement}
 */
export function byTestId(testid) {
  const found = document.querySelector(`[data-testid="${testid}"]`);
  if (!found) throw new Error(`missing [data-testid="${testid}"]`);
  return /** @type {HTMLElement} */ (found);
}

/**
 * @param {string} selector
 * @returns {HTMLElement}
 */
export function query(selector) {
  return /** @type {HTMLElement} */ (document.querySelector(selector));
}

/** The page's configuration and what it opens: a document, the queue, gold, or one item. */
export function readPage() {
  /** @type {PageConfig} */
  const config = JSON.parse(
    /** @type {HTMLElement} */ (document.getElementById('page-config')).textContent || '{}',
  );
  /** Someone's document opened by id, or the reviewer's queue: read-only, never saved. */
  const documentMode = Boolean(config.documentId || config.reviewQueue);
  const queueMode = !documentMode && (config.itemId === null || config.itemId === undefined);
  /** A manager editing the item's gold answer (gold.js): saved on demand, no queue, no submit. */
  const goldMode = Boolean(config.gold) && !documentMode && !queueMode;
  return { config, documentMode, queueMode, goldMode };
}

/** The page's status bar, banners and buttons that main.js and its modules update. */
export function findUi() {
  return {
    itemName: byTestId('item-name'),
    saveStatus: byTestId('save-status'),
    docVersion: byTestId('doc-version'),
    docStatus: byTestId('doc-status'),
    message: byTestId('studio-message'),
    zoom: byTestId('zoom-level'),
    cursor: byTestId('cursor-position'),
    imageSize: byTestId('image-size'),
    submit: /** @type {HTMLButtonElement} */ (byTestId('submit-button')),
    skip: /** @type {HTMLButtonElement} */ (byTestId('skip-button')),
    conflict: byTestId('conflict-banner'),
    conflictText: query('.conflict-text'),
    conflictList: byTestId('conflict-list'),
    queueEmpty: byTestId('queue-empty'),
    stageMessage: byTestId('stage-message'),
    stageMessageText: query('.stage-message-text'),
    help: byTestId('help-overlay'),
    prompt: byTestId('tool-prompt'),
    position: byTestId('item-position'),
    previous: /** @type {HTMLButtonElement} */ (byTestId('previous-button')),
  };
}

/** @typedef {ReturnType<typeof findUi>} StudioUi */

/**
 * What is open: the item, its document status, and whether an action is running; `revisiting`
 * is an earlier item reopened with "Previous" (submitting it returns to the queue).
 * @typedef {{item: import('./api.js').Item|null, docStatus: string, tool: string,
 *   busy: boolean, revisiting: boolean}} Session
 */

/**
 * What the item, document and queue modules share: the page, its components and the session.
 * @typedef {{config: PageConfig, queueMode: boolean, studio: HTMLElement, ui: StudioUi,
 *   api: import('./api.js').Api, state: import('./state.js').State,
 *   canvas: import('./canvas.js').CanvasView, saver: import('./saver.js').Saver,
 *   session: Session, say: import('./statusbar.js').Say,
 *   setDocStatus: (status: string) => void}} Core
 */
