// @ts-check
/**
 * The labeling studio page: wires the state, canvas, tools, panels and saver together, runs the
 * queue (or one item), and maps the keyboard through keymap.json.
 */

import { Api, ApiError, NetworkError } from './api.js';
import { CanvasView, isTyping } from './canvas.js';
import { Editing } from './editing.js';
import { keymap, keymapGroups } from './keymap.js';
import { LabelPanel } from './labels.js';
import { renderMarkdown } from './markdown.js';
import { AttributeEditor, ShapeList } from './panels.js';
import { STATUS_TEXT, Saver, changeSetBody } from './saver.js';
import { State, diffShapes } from './state.js';
import { BoxTool } from './tools/box.js';
import { BrushTool } from './tools/brush.js';
import { ChainTool } from './tools/chain.js';
import { CuboidTool } from './tools/cuboid.js';
import { KeypointsTool } from './tools/keypoints.js';
import { PanTool } from './tools/pan.js';
import { SelectTool } from './tools/select.js';

/**
 * @typedef {{projectId: number, projectName: string, itemId: number|null, role: string,
 *   username: string, labels: import('./labels.js').LabelClass[], guidelines: string,
 *   apiRoot: string}} PageConfig
 */

const ZOOM_STEP = 1.25;

/** @type {PageConfig} */
const config = JSON.parse(
  /** @type {HTMLElement} */ (document.getElementById('page-config')).textContent || '{}',
);
const queueMode = config.itemId === null || config.itemId === undefined;

/**
 * @param {string} testid
 * @returns {HTMLElement}
 */
function byTestId(testid) {
  const found = document.querySelector(`[data-testid="${testid}"]`);
  if (!found) throw new Error(`missing [data-testid="${testid}"]`);
  return /** @type {HTMLElement} */ (found);
}

/**
 * @param {string} selector
 * @returns {HTMLElement}
 */
function query(selector) {
  return /** @type {HTMLElement} */ (document.querySelector(selector));
}

const studio = query('#studio');
const ui = {
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
  conflictKeep: /** @type {HTMLButtonElement} */ (byTestId('conflict-keep')),
  queueEmpty: byTestId('queue-empty'),
  stageMessage: byTestId('stage-message'),
  stageMessageText: query('.stage-message-text'),
  help: byTestId('help-overlay'),
  prompt: byTestId('tool-prompt'),
  position: byTestId('item-position'),
  previous: /** @type {HTMLButtonElement} */ (byTestId('previous-button')),
};

const api = new Api(config.apiRoot || '/api/v1/');
const state = new State();
const canvas = new CanvasView(byTestId('studio-canvas'), state, config.labels);
const labels = new LabelPanel(
  { classList: byTestId('label-list'), tagList: byTestId('tag-list') },
  state,
  config.labels,
  (label) => {
    // Picking a class of another kind arms that kind's tool; the select tool stays, to re-class.
    if (session.tool !== 'select' && tools[label.kind]) setTool(label.kind);
  },
);
const selectTool = new SelectTool(canvas, state);
/** @param {string} kind */
const template = (kind) => () => labels.newShape(kind);
/** @type {Record<string, import('./canvas.js').Tool & {kind?: string}>} */
const tools = {
  select: selectTool,
  box: new BoxTool(canvas, state, selectTool, template('box')),
  polygon: new ChainTool('polygon', canvas, state, selectTool, template('polygon')),
  polyline: new ChainTool('polyline', canvas, state, selectTool, template('polyline')),
  keypoints: new KeypointsTool(canvas, state, selectTool, template('keypoints')),
  cuboid: new CuboidTool(canvas, state, selectTool, template('cuboid')),
  brush: new BrushTool('brush', canvas, state, template('mask')),
  eraser: new BrushTool('eraser', canvas, state, template('mask')),
  pan: new PanTool(),
};
const saver = new Saver(api, state, config.username);
const shapeList = new ShapeList(
  byTestId('shape-list'),
  byTestId('shape-count'),
  state,
  labels.byName,
  (shape) => {
    state.select(shape.id);
    const bounds = canvas.boundsOf(shape);
    if (bounds) canvas.reveal(bounds);
  },
);
shapeList.flags = { hidden: canvas.hidden, locked: canvas.locked };
const attributes = new AttributeEditor(byTestId('attribute-editor'), state, config.labels);
const editing = new Editing(canvas, state);

/** What is open: the item, its document status, and whether an action is running. */
const session = {
  /** @type {import('./api.js').Item|null} */
  item: null,
  docStatus: 'draft',
  tool: labels.drawableClasses.length ? labels.drawableClasses[0].kind : 'select',
  busy: false,
  /** An earlier item reopened with "Previous": submitting it returns to the queue. */
  revisiting: false,
};

// --- status bar and messages ---------------------------------------------------------------

/** @type {ReturnType<typeof setTimeout>|undefined} */
let messageTimer;

/**
 * @param {string} text
 * @param {'info'|'error'} [kind]
 */
function say(text, kind = 'info') {
  clearTimeout(messageTimer);
  ui.message.textContent = text;
  ui.message.dataset.kind = kind;
  if (text && kind === 'info') messageTimer = setTimeout(() => say(''), 6000);
}

saver.addEventListener('status', (event) => {
  const { status, version } = /** @type {CustomEvent} */ (event).detail;
  ui.saveStatus.textContent = STATUS_TEXT[/** @type {keyof typeof STATUS_TEXT} */ (status)];
  ui.saveStatus.dataset.status = status;
  ui.docVersion.textContent = String(version);
  if (status !== 'conflict') ui.conflict.hidden = true;
});

saver.addEventListener('saved', (event) => {
  setDocStatus(/** @type {CustomEvent} */ (event).detail.doc.status);
});

saver.addEventListener('error', (event) => {
  const { message, errors } = /** @type {CustomEvent} */ (event).detail;
  const index = Number(Object.keys(errors?.shapes || {})[0]);
  const shape = Number.isInteger(index) ? state.list()[index] : undefined;
  if (shape) state.select(shape.id);
  say(`Not saved: ${message}`, 'error');
});

saver.addEventListener('conflict', (event) => {
  const conflict = /** @type {CustomEvent} */ (event).detail;
  ui.conflictText.textContent =
    conflict.reason === 'locked'
      ? 'This annotation was accepted by a reviewer and can no longer be edited. ' +
        'Reload to see the accepted version.'
      : `Someone (or another tab) saved this item since you loaded it${
          conflict.serverVersion !== null ? ` (now version ${conflict.serverVersion})` : ''
        }. Your edits are kept in this tab: reload to take the saved version, or keep yours.`;
  ui.conflictKeep.hidden = conflict.reason === 'locked' || conflict.serverVersion === null;
  ui.conflict.hidden = false;
});

/** @param {string} status */
function setDocStatus(status) {
  session.docStatus = status;
  ui.docStatus.textContent = status;
  ui.docStatus.dataset.status = status;
}

const undoButton = /** @type {HTMLButtonElement} */ (byTestId('undo-button'));
const redoButton = /** @type {HTMLButtonElement} */ (byTestId('redo-button'));
state.addEventListener('change', () => {
  undoButton.disabled = state.readOnly || state.undoStack.length === 0;
  redoButton.disabled = state.readOnly || state.redoStack.length === 0;
});

canvas.addEventListener('view', (event) => {
  ui.zoom.textContent = `${Math.round(/** @type {CustomEvent} */ (event).detail.scale * 100)}%`;
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

// --- tools ---------------------------------------------------------------------------------

/** @param {string} name */
function setTool(name) {
  const tool = tools[name];
  if (!tool) return;
  const kind = tool.kind === undefined ? null : name === 'eraser' || name === 'brush' ? 'mask' : tool.kind;
  if (kind && !labels.activateKind(kind)) {
    say(`This project has no ${kind} classes.`, 'error');
    return;
  }
  session.tool = name;
  canvas.prompt('');
  canvas.setTool(tool);
  for (const button of document.querySelectorAll('.tool[data-action^="tool."]')) {
    const element = /** @type {HTMLElement} */ (button);
    const active = element.dataset.action === `tool.${name}`;
    element.classList.toggle('active', active);
    element.setAttribute('aria-pressed', String(active));
  }
}

// --- items and the queue -------------------------------------------------------------------

/** @param {'loading'|'ready'|'empty'|'error'} value */
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

/** @param {unknown} error */
function describeError(error) {
  if (error instanceof NetworkError)
    return 'The server could not be reached. Check your connection.';
  if (error instanceof ApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
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

/**
 * Items opened in this tab, oldest first, so "Previous" can go back through them (the queue
 * API only hands out the next one). Kept per tab in sessionStorage.
 */
const HISTORY_KEY = `loupe:history:${config.projectId}`;

/** @returns {number[]} */
function itemHistory() {
  try {
    const ids = JSON.parse(sessionStorage.getItem(HISTORY_KEY) || '[]');
    return Array.isArray(ids) ? ids.filter(Number.isInteger) : [];
  } catch {
    return [];
  }
}

/** @param {number} itemId */
function remember(itemId) {
  const ids = itemHistory().filter((id) => id !== itemId);
  ids.push(itemId);
  try {
    sessionStorage.setItem(HISTORY_KEY, JSON.stringify(ids.slice(-200)));
  } catch {
    // no storage: "Previous" only reaches what this page load saw
  }
}

/** The item opened before the current one in this tab, if any. */
function previousItemId() {
  const ids = itemHistory();
  const current = session.item ? ids.lastIndexOf(session.item.id) : ids.length;
  return current > 0 ? ids[current - 1] : null;
}

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

/** @param {import('./api.js').Item} item */
async function openItem(item) {
  setPhase('loading');
  ui.itemName.textContent = item.name;
  ui.itemName.title = `Item ${item.id}`;
  const [image, { doc, version }] = await Promise.all([api.image(item), api.annotation(item.id)]);
  session.item = item;
  state.readOnly = doc.status === 'accepted';
  state.load(doc.shapes);
  canvas.setImage(image);
  saver.attach(item.id, version);
  setDocStatus(doc.status);
  ui.imageSize.textContent = `${image.naturalWidth}×${image.naturalHeight}`;
  setPhase('ready');
  if (queueMode && !session.revisiting) remember(item.id);
  showPosition(item.id);
  if (state.readOnly) say('This annotation was accepted by a reviewer: it is read-only.');
  restoreUnsent(doc.shapes, version);
}

/**
 * Puts back shapes a previous visit could not send. Made on the version the server still has,
 * they are simply saved; made on an older one, the user chooses between them and the server's.
 * @param {import('./state.js').Shape[]} serverShapes
 * @param {number} serverVersion
 */
function restoreUnsent(serverShapes, serverVersion) {
  const copy = saver.unsentCopy(serverShapes);
  if (!copy || state.readOnly) return;
  const stale = copy.baseVersion !== serverVersion;
  saver.version = copy.baseVersion;
  state.apply(diffShapes(serverShapes, copy.shapes));
  if (stale) {
    saver.enterConflict({ reason: 'stale', serverVersion, message: '' });
  } else {
    say('Restored changes that had not reached the server; saving them now.');
  }
}

async function nextFromQueue() {
  setPhase('loading');
  session.revisiting = false;
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

async function start() {
  const run = queueMode
    ? nextFromQueue
    : async () => openItem(await api.item(/** @type {number} */ (config.itemId)));
  try {
    await run();
  } catch (error) {
    showLoadError(error, run);
  }
}

/** Saves, submits, and moves on to the next item (queue) or stays (single item). */
async function submit() {
  const item = session.item;
  if (!item || session.busy || state.readOnly) return;
  attributes.commit(); // a field being typed in: its value is part of what is submitted
  setBusy(true);
  try {
    if (!(await saver.settle())) {
      say(
        saver.status === 'offline'
          ? 'Cannot submit while offline. Your changes are kept locally.'
          : 'Cannot submit until the changes are saved.',
        'error',
      );
      return;
    }
    const doc = await api.submit(item.id);
    saver.version = doc.version;
    ui.docVersion.textContent = String(doc.version);
    setDocStatus(doc.status);
    if (queueMode) {
      say(`Submitted ${item.name}.`);
      await nextFromQueue();
    } else {
      say('Submitted.');
    }
  } catch (error) {
    say(`Not submitted: ${describeError(error)}`, 'error');
  } finally {
    setBusy(false);
  }
}

/** Saves, then reopens the item this tab had before the current one. */
async function previous() {
  const target = previousItemId();
  if (!queueMode || target === null || session.busy) return;
  setBusy(true);
  try {
    if (!state.readOnly && !(await saver.settle())) {
      say('Cannot leave this item until the changes are saved.', 'error');
      return;
    }
    const item = await api.item(target);
    // The history itself stays: the item after it is still the way forward.
    const ids = itemHistory();
    sessionStorage.setItem(HISTORY_KEY, JSON.stringify(ids.slice(0, ids.lastIndexOf(target) + 1)));
    session.revisiting = true;
    await openItem(item);
  } catch (error) {
    say(`Could not open the previous item: ${describeError(error)}`, 'error');
  } finally {
    setBusy(false);
  }
}

/** Gives the item back to the queue (after saving what was drawn) and opens the next one. */
async function skip() {
  const item = session.item;
  if (!queueMode || !item || session.busy) return;
  setBusy(true);
  try {
    if (!state.readOnly && !(await saver.settle())) {
      say('Cannot skip until the changes are saved.', 'error');
      return;
    }
    await api.skip(item.id);
    say(`Skipped ${item.name}.`);
    await nextFromQueue();
  } catch (error) {
    say(`Not skipped: ${describeError(error)}`, 'error');
  } finally {
    setBusy(false);
  }
}

async function reloadFromServer() {
  const item = session.item;
  if (!item) return;
  saver.discardLocal();
  try {
    const { doc, version } = await api.annotation(item.id);
    state.readOnly = doc.status === 'accepted';
    state.load(doc.shapes);
    saver.attach(item.id, version);
    setDocStatus(doc.status);
    setBusy(session.busy); // the submit button follows read-only
    say(`Loaded version ${version} from the server.`);
  } catch (error) {
    say(`Could not reload: ${describeError(error)}`, 'error');
  }
}

// --- actions (keyboard and buttons) --------------------------------------------------------

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
      ui.help.hidden = !ui.help.hidden;
      break;
    default:
      break;
  }
}

window.addEventListener('keydown', (event) => {
  if (event.defaultPrevented || event.isComposing) return;
  if (!ui.help.hidden) {
    // The help overlay is modal: it closes on Escape or ?, and swallows other shortcuts.
    if (event.key === 'Escape' || event.key === '?') {
      event.preventDefault();
      ui.help.hidden = true;
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
ui.conflictKeep.addEventListener('click', () => {
  ui.conflict.hidden = true;
  saver.keepMine();
});

// --- start ---------------------------------------------------------------------------------

ui.skip.hidden = !queueMode;
ui.previous.hidden = !queueMode;
keymap.decorate(studio);
keymap.renderHelp(/** @type {HTMLElement} */ (ui.help.querySelector('.help-body')), keymapGroups);
const guidelines = byTestId('guidelines');
byTestId('guidelines-body').innerHTML = renderMarkdown(config.guidelines || '');
guidelines.hidden = !(config.guidelines || '').trim();
setTool(session.tool);

const ready = start();

/** The test hook: read-only views of the studio and the coordinate mapping. */
Object.assign(window, {
  loupe: {
    state: () => ({
      itemId: session.item ? session.item.id : null,
      version: saver.version,
      shapes: state.list(),
      selectedId: state.selectedId,
      tool: session.tool,
      saveStatus: STATUS_TEXT[saver.status],
      docStatus: session.docStatus,
      activeLabel: labels.active,
      phase: studio.dataset.state,
      prompt: ui.prompt.textContent,
      activeVertex: canvas.activeVertex,
      hidden: [...canvas.hidden],
      locked: [...canvas.locked],
    }),
    /** What a PATCH would carry now: the changes the server has not acknowledged. */
    pendingChanges: () => changeSetBody(saver.pending),
    /** How often each layer was drawn: an overlay-only pointer move must not repaint shapes. */
    paints: () => ({
      shapes: canvas.painter.paints,
      overlay: canvas.overlay.renders,
      lastPaint: canvas.painter.lastPaint,
      lastOverlay: canvas.overlay.lastRender,
    }),
    /** View control for benchmarks: zoom about a local screen point, pan by screen pixels. */
    view: {
      /** @param {number} factor @param {number} sx @param {number} sy */
      zoom: (factor, sx, sy) => canvas.view.zoomAt(factor, sx, sy),
      /** @param {number} dx @param {number} dy */
      pan: (dx, dy) => canvas.view.panBy(dx, dy),
      fit: () => canvas.fit(),
    },
    ready,
    /** @param {number} x @param {number} y image pixels -> viewport (client) coordinates */
    imageToScreen: (x, y) => canvas.imageToClient(x, y),
    /** @param {number} x @param {number} y viewport (client) coordinates -> image pixels */
    screenToImage: (x, y) => canvas.clientToImage(x, y),
  },
});
