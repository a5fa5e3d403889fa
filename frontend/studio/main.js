// @ts-check
/**
 * The labeling studio page: wires the state, canvas, tools, panels and saver together, runs the
 * queue (or one item), and maps the keyboard through keymap.json.
 */

import { Api, ApiError, NetworkError } from './api.js';
import { createActions } from './actions.js';
import { Conversions } from './assist.js';
import { CanvasView } from './canvas.js';
import { ItemHistory } from './history.js';
import { Editing } from './editing.js';
import { GoldSaver } from './gold.js';
import { keymap, keymapGroups } from './keymap.js';
import { LabelPanel } from './labels.js';
import { renderMarkdown } from './markdown.js';
import { AttributeEditor, ShapeList } from './panels.js';
import { Review } from './review.js';
import { STATUS_TEXT, Saver, changeSetBody } from './saver.js';
import { State } from './state.js';
import { BoxTool } from './tools/box.js';
import { BrushTool } from './tools/brush.js';
import { ChainTool } from './tools/chain.js';
import { CuboidTool } from './tools/cuboid.js';
import { KeypointsTool } from './tools/keypoints.js';
import { Predictions } from './predictions.js';
import { PanTool } from './tools/pan.js';
import { SelectTool } from './tools/select.js';
import { Course } from './training.js';

/**
 * @typedef {{projectId: number, projectName: string, itemId: number|null, role: string,
 *   username: string, labels: import('./labels.js').LabelClass[], guidelines: string,
 *   apiRoot: string, documentId?: number|null, reviewQueue?: boolean, gold?: boolean}} PageConfig
 */

/** @type {PageConfig} */
const config = JSON.parse(
  /** @type {HTMLElement} */ (document.getElementById('page-config')).textContent || '{}',
);
/** Someone's document opened by id, or the reviewer's queue: read-only, never saved. */
const documentMode = Boolean(config.documentId || config.reviewQueue);
const queueMode = !documentMode && (config.itemId === null || config.itemId === undefined);
/** A manager editing the item's gold answer (gold.js): saved on demand, no queue, no submit. */
const goldMode = Boolean(config.gold) && !documentMode && !queueMode;
/** The tool that draws a kind, where it is not named after it. @type {Record<string, string>} */
const TOOL_OF_KIND = { mask: 'brush' };

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
  conflictList: byTestId('conflict-list'),
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
    const toolName = TOOL_OF_KIND[label.kind] || label.kind;
    if (session.tool !== 'select' && tools[session.tool].kind !== label.kind && tools[toolName]) {
      setTool(toolName);
    }
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
const goldSaver = goldMode
  ? new GoldSaver(api, state, config.username, {
      banner: byTestId('gold-banner'),
      purpose: /** @type {HTMLSelectElement} */ (byTestId('gold-purpose')),
      save: /** @type {HTMLButtonElement} */ (byTestId('gold-save')),
    })
  : null;
const saver = goldSaver || new Saver(api, state, config.username);
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
const review = new Review({
  api,
  state,
  canvas,
  stage: query('.studio-stage'),
  panel: byTestId('review-panel'),
  username: config.username,
  say: (text, kind) => say(text, kind),
  onDecided: (doc) => {
    const next = config.reviewQueue
      ? nextToReview()
      : documentById(/** @type {number} */ (doc.id)).then(openDocument);
    next.catch((error) => showLoadError(error, nextToReview));
  },
});
const predictions = new Predictions(api, state, canvas, (name) => labels.byName.has(name));
predictions.bindPanel(byTestId('predictions-panel'));
const conversions = new Conversions({
  api,
  state,
  canvas,
  newShape: (kind) => labels.newShape(kind),
  itemId: () => session.item?.id ?? null,
  say,
});

/** What is open: the item, its document status, and whether an action is running. */
const session = {
  /** @type {import('./api.js').Item|null} */
  item: null,
  docStatus: 'draft',
  tool: labels.drawableClasses.length
    ? TOOL_OF_KIND[labels.drawableClasses[0].kind] || labels.drawableClasses[0].kind
    : 'select',
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
  const kind = tool.kind ?? null;
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

/** @param {'loading'|'ready'|'empty'|'error'|'feedback'|'course'} value */
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

const itemHistory = new ItemHistory(config.projectId);

/** The item opened before the current one in this tab, if any. */
function previousItemId() {
  return itemHistory.before(session.item ? session.item.id : null);
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
  predictions.open(item.id); // shown once both they and the document are in
  const [image, { doc, version }] = await Promise.all([api.image(item), api.annotation(item.id)]);
  session.item = item;
  state.readOnly = doc.status === 'accepted';
  state.load(doc.shapes);
  canvas.setImage(image);
  saver.attach(item.id, version);
  setDocStatus(doc.status);
  ui.imageSize.textContent = `${image.naturalWidth}×${image.naturalHeight}`;
  setPhase('ready');
  if (queueMode && !session.revisiting) itemHistory.remember(item.id);
  const coursePosition = course && !session.revisiting ? course.positionText() : '';
  if (coursePosition) ui.position.textContent = coursePosition;
  else showPosition(item.id);
  if (state.readOnly) say('This annotation was accepted by a reviewer: it is read-only.');
  restoreUnsent(doc.shapes, version);
  review.show(doc, { reviewing: false });
}

/**
 * Opens the item's gold answer (empty when none is given yet) for a manager to draw.
 * @param {import('./api.js').Item} item
 * @param {GoldSaver} gold
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
  ui.imageSize.textContent = `${image.naturalWidth}×${image.naturalHeight}`;
  setPhase('ready');
}

/**
 * Opens a document by id, read-only; its reviewers and managers review it while submitted.
 * @param {import('./api.js').AnnotationDoc & {id: number}} doc
 */
async function openDocument(doc) {
  setPhase('loading');
  const item = await api.item(doc.item);
  const image = await api.image(item);
  session.item = item;
  state.readOnly = true;
  setTool('select'); // nothing is drawn here: clicks select shapes to look at or comment on
  state.load(doc.shapes);
  canvas.setImage(image);
  setDocStatus(doc.status);
  ui.docVersion.textContent = String(doc.version);
  ui.itemName.textContent = `${item.name} · ${doc.annotator}`;
  ui.itemName.title = `Item ${item.id}, annotation ${doc.id}`;
  ui.imageSize.textContent = `${image.naturalWidth}×${image.naturalHeight}`;
  setPhase('ready');
  const reviewing =
    doc.status === 'submitted' && doc.annotator !== config.username && config.role !== 'annotator';
  await review.show(doc, { reviewing });
}

/** @param {number} documentId */
async function documentById(documentId) {
  return (await api.request('GET', `annotations/${documentId}/`)).json();
}

async function nextToReview() {
  setPhase('loading');
  const response = await api.request('POST', `projects/${config.projectId}/review/next/`);
  if (response.status === 204) {
    session.item = null;
    state.load([]);
    canvas.setImage(null);
    review.clear();
    ui.itemName.textContent = 'Review finished';
    const text = ui.queueEmpty.querySelector('p');
    if (text) text.textContent = 'No submitted annotations are waiting for your review.';
    setPhase('empty');
    return;
  }
  await openDocument(await response.json());
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
  if (course && !(await course.ready())) return;
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
  const run = goldSaver
    ? async () => openGold(await api.item(/** @type {number} */ (config.itemId)), goldSaver)
    : config.reviewQueue
    ? nextToReview
    : config.documentId
      ? async () => openDocument(await documentById(/** @type {number} */ (config.documentId)))
      : queueMode
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
  if (goldSaver) {
    attributes.commit();
    await goldSaver.saveNow(); // Mod+Enter saves the gold answer: there is nothing to submit
    return;
  }
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
      if (course) await course.afterSubmit(item, state.list());
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
    // What came after it is forgotten: the queue hands that item out again after this one.
    itemHistory.truncateAfter(target);
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

const run = createActions({
  state,
  canvas,
  labels,
  editing,
  session,
  help: ui.help,
  studio,
  setTool,
  submit: () => submit(),
  skip: () => skip(),
  previous: () => previous(),
  extra: { ...conversions.actions(), ...predictions.actions(say) },
});

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

// --- start ---------------------------------------------------------------------------------

ui.skip.hidden = !queueMode;
ui.previous.hidden = !queueMode;
ui.submit.hidden = documentMode || goldMode;
keymap.decorate(studio);
keymap.renderHelp(/** @type {HTMLElement} */ (ui.help.querySelector('.help-body')), keymapGroups);
const guidelines = byTestId('guidelines');
byTestId('guidelines-body').innerHTML = renderMarkdown(config.guidelines || '');
guidelines.hidden = !(config.guidelines || '').trim();
setTool(session.tool);

/** The training course and exam in front of the queue (training.js); items opened alone skip it. */
const course = queueMode
  ? new Course({
      api,
      projectId: config.projectId,
      guidelines: config.guidelines || '',
      stage: query('.studio-stage'),
      canvas,
      state,
      setPhase,
      controls: [ui.skip, ui.previous],
      position: ui.position,
      itemName: ui.itemName,
    })
  : null;

const ready = start();

/** The test hook: read-only views of the studio and the coordinate mapping. */
Object.assign(window, {
  loupe: {
    state: () => ({
      itemId: session.item ? session.item.id : null,
      version: saver.version,
      shapes: state.documentShapes(),
      predictions: predictions.list(),
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
      comments: review.shown().map((comment) => comment.body),
      gold: goldMode,
    }),
    /** What a PATCH would carry now: the changes the server has not acknowledged. */
    pendingChanges: () => changeSetBody(saver.pending),
    /** Shapes changed on both sides of a merge, waiting for the user's choice. */
    conflicts: () => [...saver.conflicts.keys()],
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
