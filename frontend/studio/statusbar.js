// @ts-check
/**
 * The status bar and the message line: what the saver, the canvas and the undo stack report.
 */

import { STATUS_TEXT } from './saver.js';

/** @typedef {(text: string, kind?: 'info'|'error') => void} Say */

/**
 * Returns say(text, kind): shows a message; an info message clears itself after a while.
 * @param {HTMLElement} message
 * @returns {Say}
 */
export function createSay(message) {
  /** @type {ReturnType<typeof setTimeout>|undefined} */
  let messageTimer;

  /**
   * @param {string} text
   * @param {'info'|'error'} [kind]
   */
  function say(text, kind = 'info') {
    clearTimeout(messageTimer);
    message.textContent = text;
    message.dataset.kind = kind;
    if (text && kind === 'info') messageTimer = setTimeout(() => say(''), 6000);
  }
  return say;
}

/**
 * Returns setDocStatus(status): the open document's status, in the session and the status bar.
 * @param {{docStatus: string}} session
 * @param {import('./page.js').StudioUi} ui
 */
export function createSetDocStatus(session, ui) {
  /** @param {string} status */
  return function setDocStatus(status) {
    session.docStatus = status;
    ui.docStatus.textContent = status;
    ui.docStatus.dataset.status = status;
  };
}

/**
 * Shows the saver's status, version, the document status it answers and its errors.
 * @param {{saver: import('./saver.js').Saver, state: import('./state.js').State,
 *   ui: import('./page.js').StudioUi, setDocStatus: (status: string) => void, say: Say}} context
 */
export function bindSaverStatus({ saver, state, ui, setDocStatus, say }) {
  saver.addEventListener('status', (event) => {
    const { status, version } = /** @type {CustomEvent} */ (event).detail;
    ui.saveStatus.textContent = STATUS_TEXT[/** @type {keyof typeof STATUS_TEXT} */ (status)];
    ui.saveStatus.dataset.status = status;
    ui.docVersion.textContent = String(version);
    if (status !== 'conflict') ui.conflict.hidden = true;
  });

  saver.addEventListener('saved', (event) => {
    // A PATCH answers {version, content_hash, status}; a PUT the whole document. Both have status.
    const { doc } = /** @type {CustomEvent} */ (event).detail;
    if (doc && doc.status) setDocStatus(doc.status);
  });

  saver.addEventListener('error', (event) => {
    const { message, errors } = /** @type {CustomEvent} */ (event).detail;
    // A PUT keys shape errors by position, a PATCH by shape id.
    const key = Object.keys(errors?.shapes || {})[0];
    const shape = key === undefined ? undefined : state.get(key) || state.list()[Number(key)];
    if (shape) state.select(shape.id);
    say(`Not saved: ${message}`, 'error');
  });
}

/**
 * The undo/redo buttons, the zoom level, the tool's prompt and the cursor position.
 * @param {{state: import('./state.js').State, canvas: import('./canvas.js').CanvasView,
 *   ui: import('./page.js').StudioUi, undoButton: HTMLButtonElement,
 *   redoButton: HTMLButtonElement}} context
 */
export function bindStatusBar({ state, canvas, ui, undoButton, redoButton }) {
  state.addEventListener('change', () => {
    undoButton.disabled = state.readOnly || state.undoStack.length === 0;
    redoButton.disabled = state.readOnly || state.redoStack.length === 0;
  });

  canvas.addEventListener('view', (event) => {
    // Every frame of a pan reports the view: unchanged text is not written (no relayout).
    const zoom = `${Math.round(/** @type {CustomEvent} */ (event).detail.scale * 100)}%`;
    if (ui.zoom.textContent !== zoom) ui.zoom.textContent = zoom;
  });

  canvas.addEventListener('prompt', (event) => {
    ui.prompt.textContent = /** @type {CustomEvent} */ (event).detail.text;
  });

  canvas.addEventListener('pointer', (event) => {
    const point = /** @type {CustomEvent} */ (event).detail;
    const inside =
      point &&
      point.x >= 0 &&
      point.y >= 0 &&
      point.x <= canvas.imageWidth &&
      point.y <= canvas.imageHeight;
    ui.cursor.textContent = inside ? `${Math.floor(point.x)}, ${Math.floor(point.y)}` : '';
  });
}
