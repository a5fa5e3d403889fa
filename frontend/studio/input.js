// @ts-check
/**
 * Pointer, wheel and Space input on the canvas root. Panning (middle or right button,
 * Space+drag, or a tool handing the press back with 'pan') is handled here; everything else
 * goes to the active tool in image coordinates.
 */

import { clamp } from './geometry.js';

/** @param {EventTarget|null} target */
export function isTyping(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement) return true;
  if (target instanceof HTMLSelectElement) return true;
  return (
    target instanceof HTMLInputElement && !['checkbox', 'radio', 'button'].includes(target.type)
  );
}

/** A focused button, checkbox or link: Space presses it, it does not pan. @param {EventTarget|null} target */
function isControl(target) {
  return target instanceof HTMLElement && Boolean(target.closest('button, input, a, label, summary'));
}

export class Input {
  /** @param {import('./canvas.js').CanvasView} engine */
  constructor(engine) {
    this.engine = engine;
    /** @type {{startX: number, startY: number, viewX: number, viewY: number}|null} */
    this.pan = null;
    this.spaceHeld = false;
    const root = engine.root;
    root.addEventListener('pointerdown', (event) => this.down(event));
    root.addEventListener('pointermove', (event) => this.move(event));
    root.addEventListener('pointerup', (event) => this.up(event));
    root.addEventListener('dblclick', (event) => {
      if (engine.image && !this.pan) engine.tool?.doubleClick?.(engine.toolEvent(event));
    });
    root.addEventListener('pointercancel', () => {
      this.pan = null;
      engine.tool?.cancel();
    });
    root.addEventListener('pointerleave', () => {
      engine.pointer = null;
      engine.requestOverlay();
      engine.dispatchEvent(new CustomEvent('pointer', { detail: null }));
    });
    root.addEventListener('contextmenu', (event) => event.preventDefault());
    root.addEventListener('wheel', (event) => this.wheel(event), { passive: false });
    window.addEventListener('keydown', (event) => {
      if (event.code !== 'Space' || isTyping(event.target) || isControl(event.target)) return;
      event.preventDefault(); // no page scroll, no button "click" on a focused control
      if (!this.spaceHeld) {
        this.spaceHeld = true;
        engine.setCursor(engine.tool?.cursor || 'default');
      }
    });
    window.addEventListener('keyup', (event) => {
      if (event.code !== 'Space') return;
      this.spaceHeld = false;
      engine.setCursor(engine.tool?.cursor || 'default');
    });
    window.addEventListener('blur', () => {
      this.spaceHeld = false;
    });
  }

  /** @param {WheelEvent} event */
  wheel(event) {
    event.preventDefault();
    const { sx, sy } = this.engine.local(event);
    const delta = event.deltaMode === 1 ? event.deltaY * 16 : event.deltaY;
    this.engine.view.zoomAt(Math.exp(-clamp(delta, -200, 200) * 0.0015), sx, sy);
  }

  /** @param {PointerEvent} event */
  startPan(event) {
    const { view } = this.engine;
    this.pan = { startX: event.clientX, startY: event.clientY, viewX: view.x, viewY: view.y };
    this.engine.setCursor('grabbing');
  }

  /** @param {PointerEvent} event */
  down(event) {
    const engine = this.engine;
    if (document.activeElement !== engine.root) engine.root.focus({ preventScroll: true });
    const panning =
      event.button === 1 || event.button === 2 || (event.button === 0 && this.spaceHeld);
    if (!panning && event.button !== 0) return;
    event.preventDefault();
    engine.root.setPointerCapture(event.pointerId);
    if (panning) {
      this.startPan(event);
      return;
    }
    if (engine.image && engine.tool?.pointerDown(engine.toolEvent(event)) === 'pan') {
      this.startPan(event);
    }
  }

  /** @param {PointerEvent} event */
  move(event) {
    const engine = this.engine;
    const toolEvent = engine.toolEvent(event);
    engine.pointer = { x: toolEvent.sx, y: toolEvent.sy };
    engine.dispatchEvent(new CustomEvent('pointer', { detail: { x: toolEvent.x, y: toolEvent.y } }));
    if (this.pan) {
      const { view } = engine;
      view.set(
        view.scale,
        this.pan.viewX + event.clientX - this.pan.startX,
        this.pan.viewY + event.clientY - this.pan.startY,
      );
      return;
    }
    if (!engine.image || !engine.tool) return;
    if (event.buttons & 1) engine.tool.pointerMove(toolEvent);
    else engine.tool.hover?.(toolEvent);
    engine.requestOverlay();
  }

  /** @param {PointerEvent} event */
  up(event) {
    const engine = this.engine;
    if (engine.root.hasPointerCapture(event.pointerId)) {
      engine.root.releasePointerCapture(event.pointerId);
    }
    if (this.pan) {
      this.pan = null;
      engine.setCursor(engine.tool?.cursor || 'default');
      return;
    }
    if (event.button === 0 && engine.image) engine.tool?.pointerUp(engine.toolEvent(event));
  }
}
