// @ts-check
/**
 * The studio's phase (loading, ready, empty, error, feedback, course) and the buttons that
 * follow it, the busy flag, and the stage's load error with its retry button.
 */

import { ApiError, NetworkError } from './api.js';
import { byTestId } from './page.js';

/** @typedef {'loading'|'ready'|'empty'|'error'|'feedback'|'course'} Phase */

/** @param {unknown} error */
export function describeError(error) {
  if (error instanceof NetworkError)
    return 'The server could not be reached. Check your connection.';
  if (error instanceof ApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * @param {{studio: HTMLElement, ui: import('./page.js').StudioUi,
 *   session: import('./page.js').Session, state: import('./state.js').State,
 *   previousItemId: () => number|null}} context
 */
export function createPhase({ studio, ui, session, state, previousItemId }) {
  /** @param {Phase} value */
  function setPhase(value) {
    studio.dataset.state = value;
    ui.queueEmpty.hidden = value !== 'empty';
    ui.stageMessage.hidden = value !== 'error';
    const usable = value === 'ready';
    ui.submit.disabled = !usable || session.busy || state.readOnly;
    ui.skip.disabled = !usable || session.busy;
    ui.previous.disabled = !usable || session.busy || previousItemId() === null;
  }

  /** @param {boolean} busy */
  function setBusy(busy) {
    session.busy = busy;
    setPhase(/** @type {any} */ (studio.dataset.state));
  }

  /**
   * @param {unknown} error
   * @param {() => Promise<void>} retry
   */
  function showLoadError(error, retry) {
    setPhase('error');
    ui.stageMessageText.textContent = describeError(error);
    byTestId('stage-retry').onclick = () => {
      setPhase('loading');
      retry().catch((again) => showLoadError(again, retry));
    };
  }

  return { setPhase, setBusy, showLoadError };
}
