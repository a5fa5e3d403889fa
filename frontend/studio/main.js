// @ts-check
/**
 * The labeling studio page: wires the state, canvas, tools, panels and saver together, runs the
 * queue (or one item), and maps the keyboard through keymap.json. The parts live in their own
 * modules; this one builds them in order and connects them.
 */

import { Api } from './api.js';
import { createActions } from './actions.js';
import { Conversions } from './assist.js';
import { CanvasView } from './canvas.js';
import { bindConflicts } from './conflicts.js';
import { bindControls, dressPage } from './controls.js';
import { createDocuments } from './documents.js';
import { ItemHistory } from './history.js';
import { Editing } from './editing.js';
import { GoldSaver } from './gold.js';
import { exposeTestHook } from './hook.js';
import { createItems } from './items.js';
import { LabelPanel } from './labels.js';
import { createNavigation } from './navigation.js';
import { byTestId, findUi, query, readPage } from './page.js';
import { AttributeEditor, ShapeList } from './panels.js';
import { createPhase } from './phase.js';
import { Review } from './review.js';
import { Saver } from './saver.js';
import { State } from './state.js';
import { bindSaverStatus, bindStatusBar, createSay, createSetDocStatus } from './statusbar.js';
import { createSetTool, createTools, toolOfKind } from './toolbox.js';
import { Predictions } from './predictions.js';
import { Course } from './training.js';

const { config, documentMode, queueMode, goldMode } = readPage();
const studio = query('#studio');
const ui = findUi();
const say = createSay(ui.message);

const api = new Api(config.apiRoot || '/api/v1/');
const state = new State();
const canvas = new CanvasView(byTestId('studio-canvas'), state, config.labels);
const labels = new LabelPanel(
  { classList: byTestId('label-list'), tagList: byTestId('tag-list') },
  state,
  config.labels,
  (label) => {
    // Picking a class of another kind arms that kind's tool; the select tool stays, to re-class.
    const toolName = toolOfKind(label.kind);
    if (session.tool !== 'select' && tools[session.tool].kind !== label.kind && tools[toolName]) {
      setTool(toolName);
    }
  },
);
const tools = createTools(canvas, state, labels);
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
      ? documents.nextToReview()
      : documents.documentById(/** @type {number} */ (doc.id)).then(documents.openDocument);
    next.catch((error) => showLoadError(error, documents.nextToReview));
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

/** @type {import('./page.js').Session} */
const session = {
  item: null,
  docStatus: 'draft',
  tool: labels.drawableClasses.length ? toolOfKind(labels.drawableClasses[0].kind) : 'select',
  busy: false,
  revisiting: false,
};
const setDocStatus = createSetDocStatus(session, ui);
const setTool = createSetTool({ tools, labels, canvas, session, say });

bindSaverStatus({ saver, state, ui, setDocStatus, say });
bindConflicts({ saver, state, canvas, ui });
bindStatusBar({
  state,
  canvas,
  ui,
  undoButton: /** @type {HTMLButtonElement} */ (byTestId('undo-button')),
  redoButton: /** @type {HTMLButtonElement} */ (byTestId('redo-button')),
});

// --- items, documents and the queue --------------------------------------------------------

const itemHistory = new ItemHistory(config.projectId);
/** The item opened before the current one in this tab, if any. */
const previousItemId = () => itemHistory.before(session.item ? session.item.id : null);
const { setPhase, setBusy, showLoadError } = createPhase({
  studio,
  ui,
  session,
  state,
  previousItemId,
});
/** @type {import('./page.js').Core} */
const core = { config, queueMode, studio, ui, api, state, canvas, saver, session, say, setDocStatus };
const items = createItems(core, {
  predictions,
  review,
  itemHistory,
  previousItemId,
  setPhase,
  course: () => course,
});
const documents = createDocuments(core, { review, setTool, setPhase });
const navigation = createNavigation(core, {
  attributes,
  goldSaver,
  itemHistory,
  previousItemId,
  setBusy,
  openItem: items.openItem,
  nextFromQueue: items.nextFromQueue,
  course: () => course,
});

async function start() {
  const run = goldSaver
    ? async () => items.openGold(await api.item(/** @type {number} */ (config.itemId)), goldSaver)
    : config.reviewQueue
    ? documents.nextToReview
    : config.documentId
      ? async () =>
          documents.openDocument(
            await documents.documentById(/** @type {number} */ (config.documentId)),
          )
      : queueMode
        ? items.nextFromQueue
        : async () => items.openItemById(/** @type {number} */ (config.itemId));
  try {
    await run();
  } catch (error) {
    showLoadError(error, run);
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
  submit: () => navigation.submit(),
  skip: () => navigation.skip(),
  previous: () => navigation.previous(),
  extra: { ...conversions.actions(), ...predictions.actions(say) },
});
bindControls({ studio, ui, run, reloadFromServer: navigation.reloadFromServer });

// --- start ---------------------------------------------------------------------------------

dressPage({ studio, ui, config, queueMode, documentMode, goldMode });
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

exposeTestHook({
  session,
  saver,
  state,
  canvas,
  labels,
  predictions,
  review,
  studio,
  ui,
  goldMode,
  ready,
});
