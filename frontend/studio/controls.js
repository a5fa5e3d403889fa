// @ts-check
/**
 * The page's buttons and static parts: toolbar clicks go through the same actions as the
 * keyboard; the help overlay, the guidelines and which buttons the mode shows.
 */

import { keymap, keymapGroups } from './keymap.js';
import { renderMarkdown } from './markdown.js';
import { byTestId } from './page.js';

/**
 * @param {{studio: HTMLElement, ui: import('./page.js').StudioUi,
 *   run: (action: string) => void, reloadFromServer: () => Promise<void>}} context
 */
export function bindControls({ studio, ui, run, reloadFromServer }) {
  studio.addEventListener('click', (event) => {
    const button = /** @type {HTMLElement|null} */ (
      /** @type {HTMLElement} */ (event.target).closest('button[data-action]')
    );
    if (!button || /** @type {HTMLButtonElement} */ (button).disabled) return;
    const action = button.dataset.action || '';
    if (studio.dataset.state !== 'ready' && !action.startsWith('help.')) return;
    run(action);
  });

  byTestId('help-close').addEventListener('click', () => {
    ui.help.hidden = true;
  });
  ui.help.addEventListener('click', (event) => {
    if (event.target === ui.help) ui.help.hidden = true;
  });
  byTestId('conflict-reload').addEventListener('click', () => reloadFromServer());
}

/**
 * Shows the buttons the mode uses, the keys in tooltips and help, and the project's guidelines.
 * @param {{studio: HTMLElement, ui: import('./page.js').StudioUi,
 *   config: import('./page.js').PageConfig, queueMode: boolean, documentMode: boolean,
 *   goldMode: boolean}} context
 */
export function dressPage({ studio, ui, config, queueMode, documentMode, goldMode }) {
  ui.skip.hidden = !queueMode;
  ui.previous.hidden = !queueMode;
  ui.submit.hidden = documentMode || goldMode;
  keymap.decorate(studio);
  keymap.renderHelp(/** @type {HTMLElement} */ (ui.help.querySelector('.help-body')), keymapGroups);
  const guidelines = byTestId('guidelines');
  byTestId('guidelines-body').innerHTML = renderMarkdown(config.guidelines || '');
  guidelines.hidden = !(config.guidelines || '').trim();
}
