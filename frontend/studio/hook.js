// @ts-check
/**
 * The test hook (window.loupe): read-only views of the studio and the coordinate mapping.
 */

import { STATUS_TEXT, changeSetBody } from './saver.js';

/**
 * @param {{session: import('./page.js').Session, saver: import('./saver.js').Saver,
 *   state: import('./state.js').State, canvas: import('./canvas.js').CanvasView,
 *   labels: import('./labels.js').LabelPanel, predictions: import('./predictions.js').Predictions,
 *   review: import('./review.js').Review, studio: HTMLElement,
 *   ui: import('./page.js').StudioUi, goldMode: boolean, ready: Promise<void>}} context
 */
export function exposeTestHook(context) {
  const { session, saver, state, canvas, labels, predictions, review, studio, ui } = context;
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
        gold: context.goldMode,
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
      ready: context.ready,
      /** @param {number} x @param {number} y image pixels -> viewport (client) coordinates */
      imageToScreen: (x, y) => canvas.imageToClient(x, y),
      /** @param {number} x @param {number} y viewport (client) coordinates -> image pixels */
      screenToImage: (x, y) => canvas.clientToImage(x, y),
    },
  });
}
