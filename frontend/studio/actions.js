// @ts-check
/**
 * The keyboard and the toolbar's buttons: every key goes through keymap.json to an action. The
 * active tool is offered the key first (Enter, Backspace, Escape while drawing); the rest are
 * the studio's own actions below.
 */

import { isTyping } from './canvas.js';
import { keymap } from './keymap.js';

const ZOOM_STEP = 1.25;

/**
 * @typedef {{
 *   state: import('./state.js').State, canvas: import('./canvas.js').CanvasView,
 *   labels: import('./labels.js').LabelPanel, editing: import('./editing.js').Editing,
 *   session: {tool: string}, help: HTMLElement, studio: HTMLElement,
 *   setTool(name: string): void, submit(): void, skip(): void, previous(): void,
 *   extra?: Record<string, (key: string) => void>,
 * }} ActionContext
 * `extra` holds the actions of modules that bring their own (assist, predictions).
 */

/**
 * Wires the keyboard and returns run(action, key) for the buttons.
 * @param {ActionContext} context
 */
export function createActions(context) {
  const { state, canvas, labels, editing, session, help, studio, setTool, submit, skip, previous } =
    context;

  /** @type {Record<string, number[]>} */
  const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

  /**
   * @param {string} action
   * @param {string} [key] the key as written in keymap.json
   */
  function run(action, key = '') {
    if (action.startsWith('tool.') && action !== 'tool.select') {
      setTool(action.slice(5));
      return;
    }
    switch (action) {
      case 'tool.select':
        if (key === 'Escape' && session.tool === 'select') {
          canvas.tool?.cancel();
          state.select(null);
        } else if (key === 'Escape' && state.selectedId) {
          state.select(null); // Escape in a draw tool: drop the selection, keep the tool armed
        } else {
          setTool('select');
        }
        break;
      case 'class.pick':
        labels.pick(Number(key));
        break;
      case 'tag.toggle':
        labels.toggleTagNumber(Number(key.slice(-1)));
        break;
      case 'shape.delete':
        if (state.selectedId) state.remove(state.selectedId);
        break;
      case 'keypoints.visibility':
        editing.setVisibility(Number(key.slice(-1)));
        break;
      case 'shape.next':
      case 'shape.previous':
        editing.cycle(action === 'shape.next' ? 1 : -1);
        break;
      case 'shape.copy':
        editing.copy();
        break;
      case 'shape.paste':
        editing.paste();
        break;
      case 'shape.duplicate':
        editing.duplicate();
        break;
      case 'shape.hide':
        editing.toggleHidden();
        break;
      case 'shape.lock':
        editing.toggleLocked();
        break;
      case 'view.actual':
        canvas.view.actualSize();
        break;
      case 'shape.occluded': {
        const shape = state.selected();
        if (shape && shape.kind !== 'tag') state.update(shape.id, { occluded: !shape.occluded });
        break;
      }
      case 'shape.nudge':
      case 'shape.nudgeFar': {
        const [dx, dy] = ARROWS[key.replace('Shift+', '')] || [0, 0];
        const step = action === 'shape.nudgeFar' ? 10 : 1;
        editing.nudge(dx * step, dy * step);
        break;
      }
      case 'history.undo':
        state.undo();
        break;
      case 'history.redo':
        state.redo();
        break;
      case 'item.submit':
        submit();
        break;
      case 'item.skip':
        skip();
        break;
      case 'item.previous':
        previous();
        break;
      case 'view.fit':
        canvas.fit();
        break;
      case 'view.zoomIn':
        canvas.zoomBy(ZOOM_STEP);
        break;
      case 'view.zoomOut':
        canvas.zoomBy(1 / ZOOM_STEP);
        break;
      case 'help.toggle':
        help.hidden = !help.hidden;
        break;
      default:
        context.extra?.[action]?.(key);
        break;
    }
  }

  window.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.isComposing) return;
    if (!help.hidden) {
      // The help overlay is modal: it closes on Escape or ?, and swallows other shortcuts.
      if (event.key === 'Escape' || event.key === '?') {
        event.preventDefault();
        help.hidden = true;
      }
      return;
    }
    const matches = keymap.matchAll(event);
    if (!matches.length) return;
    const match = matches[0];
    // In a text field, keys type; only submitting and leaving the field are shortcuts there.
    if (isTyping(event.target)) {
      if (match.action !== 'item.submit' && match.key !== 'Escape') return;
      if (match.key === 'Escape') {
        /** @type {HTMLElement} */ (event.target).blur();
        event.preventDefault();
        return;
      }
    }
    // Tab moves focus between controls unless the canvas (or nothing) has it.
    if (match.action.startsWith('shape.') && event.key === 'Tab' && !onCanvas(event.target)) return;
    if (studio.dataset.state !== 'ready' && !match.action.startsWith('help.')) return;
    event.preventDefault();
    // The active tool has the first say (Enter, Backspace, Escape while drawing).
    const tool = canvas.tool;
    if (tool?.action && matches.some((candidate) => tool.action?.(candidate.action, candidate.key))) return;
    const global = matches.find((candidate) => !/^(draw|keypoints\.skip|brush)\b/.test(candidate.action));
    if (global) run(global.action, global.key);
  });

  /** @param {EventTarget|null} target */
  function onCanvas(target) {
    return target === document.body || target === document.documentElement || target === canvas.root;
  }

  return run;
}
