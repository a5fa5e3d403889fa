// @ts-check
/**
 * The drawing tools, and switching between them (the toolbar's buttons follow the active one).
 */

import { BoxTool } from './tools/box.js';
import { BrushTool } from './tools/brush.js';
import { ChainTool } from './tools/chain.js';
import { CuboidTool } from './tools/cuboid.js';
import { KeypointsTool } from './tools/keypoints.js';
import { PanTool } from './tools/pan.js';
import { SelectTool } from './tools/select.js';

/** The tool that draws a kind, where it is not named after it. @type {Record<string, string>} */
const TOOL_OF_KIND = { mask: 'brush' };

/** @param {string} kind */
export function toolOfKind(kind) {
  return TOOL_OF_KIND[kind] || kind;
}

/** @typedef {Record<string, import('./canvas.js').Tool & {kind?: string}>} Tools */

/**
 * @param {import('./canvas.js').CanvasView} canvas
 * @param {import('./state.js').State} state
 * @param {import('./labels.js').LabelPanel} labels
 * @returns {Tools}
 */
export function createTools(canvas, state, labels) {
  const selectTool = new SelectTool(canvas, state);
  /** @param {string} kind */
  const template = (kind) => () => labels.newShape(kind);
  return {
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
}

/**
 * Returns setTool(name): arms the tool (and its kind's classes) and marks its toolbar button.
 * @param {{tools: Tools, labels: import('./labels.js').LabelPanel,
 *   canvas: import('./canvas.js').CanvasView, session: {tool: string},
 *   say: (text: string, kind?: 'info'|'error') => void}} context
 */
export function createSetTool({ tools, labels, canvas, session, say }) {
  /** @param {string} name */
  return function setTool(name) {
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
  };
}
