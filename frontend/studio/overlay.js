// @ts-check
/**
 * The SVG overlay over the shapes layer: the crosshair, the hovered shape's outline, the shape
 * being drawn or dragged, the selected shape's handles and any markers a tool asks for (the
 * polygon's first vertex, a snap target). Redrawn alone on pointer moves: it is a handful of
 * elements, where the shapes layer is thousands of paths.
 */

import { rgba } from './painter.js';
import { shapeKind } from './shapes/index.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** @param {string} name @param {Record<string, string|number>} [attributes] @returns {SVGElement} */
function svg(name, attributes = {}) {
  const element = document.createElementNS(SVG_NS, name);
  setAttributes(element, attributes);
  return element;
}

/** @param {Element} element @param {Record<string, string|number>} attributes */
function setAttributes(element, attributes) {
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
}

/** @param {Element} element @param {boolean} visible */
function toggle(element, visible) {
  element.classList.toggle('is-hidden', !visible);
}

export class Overlay {
  /** @param {import('./canvas.js').CanvasView} engine */
  constructor(engine) {
    this.engine = engine;
    this.root = /** @type {SVGSVGElement} */ (svg('svg', { class: 'studio-overlay' }));
    this.guideX = svg('line', { class: 'guide' });
    this.guideY = svg('line', { class: 'guide' });
    this.hover = svg('path', { class: 'hover' });
    this.preview = svg('path', { class: 'preview', 'data-testid': 'overlay-preview' });
    this.outline = svg('path', { class: 'outline' });
    this.handles = svg('g', { class: 'handles' });
    this.markers = svg('g', { class: 'markers' });
    this.brush = svg('path', { class: 'brush-stroke' });
    this.root.append(
      this.guideX,
      this.guideY,
      this.hover,
      this.brush,
      this.outline,
      this.preview,
      this.handles,
      this.markers,
    );
    this.renders = 0;
    this.lastRender = 0;
  }

  /** @param {number} width @param {number} height */
  resize(width, height) {
    this.root.setAttribute('viewBox', `0 0 ${width} ${height}`);
  }

  render() {
    this.renders += 1;
    this.renderSvg();
    this.lastRender = performance.now();
  }

  renderSvg() {
    const engine = this.engine;
    const { view } = engine;
    const toScreen = (/** @type {number} */ x, /** @type {number} */ y) => view.toScreen(x, y);
    const pointer = engine.pointer;
    const guides = Boolean(engine.tool?.crosshair && pointer && engine.image && !engine.input.pan);
    toggle(this.guideX, guides);
    toggle(this.guideY, guides);
    if (guides && pointer) {
      setAttributes(this.guideX, { x1: 0, x2: view.width, y1: pointer.y, y2: pointer.y });
      setAttributes(this.guideY, { x1: pointer.x, x2: pointer.x, y1: 0, y2: view.height });
    }

    const hovered = engine.hoverId && engine.hoverId !== engine.state.selectedId ? engine.state.get(engine.hoverId) : undefined;
    toggle(this.hover, Boolean(hovered));
    if (hovered) {
      setAttributes(this.hover, {
        d: shapeKind(hovered).svgPath(hovered, toScreen, engine.labels.get(hovered.label)),
        stroke: engine.colorOf(hovered.label),
      });
    }

    const preview = engine.preview;
    toggle(this.preview, Boolean(preview));
    if (preview) {
      const shape = preview.shape;
      setAttributes(this.preview, {
        d: shapeKind(shape).svgPath(shape, toScreen, engine.labels.get(shape.label)),
        stroke: engine.colorOf(shape.label),
      });
    }

    const selectedShape = engine.state.selected();
    const selected =
      preview && selectedShape && preview.id === selectedShape.id ? preview.shape : selectedShape;
    const showSelection = Boolean(selected && !engine.hidden.has(selected.id));
    toggle(this.outline, showSelection);
    if (selected && showSelection) {
      const kind = shapeKind(selected);
      setAttributes(this.outline, {
        d: kind.svgPath(selected, toScreen, engine.labels.get(selected.label)),
        stroke: engine.colorOf(selected.label),
        fill: kind.filled ? rgba(engine.colorOf(selected.label), 0.22) : 'none',
      });
      this.renderHandles(
        engine.locked.has(selected.id) || engine.state.readOnly ? [] : engine.handlesOf(selected),
      );
    } else {
      this.renderHandles([]);
    }
    this.renderMarkers(engine.markers);
    const stroke = engine.brushStroke;
    toggle(this.brush, Boolean(stroke));
    if (stroke) {
      const parts = [];
      for (let i = 0; i + 1 < stroke.points.length; i += 2) {
        const p = view.toScreen(stroke.points[i], stroke.points[i + 1]);
        parts.push(`${i ? 'L' : 'M'}${p.x.toFixed(1)} ${p.y.toFixed(1)}`);
      }
      if (stroke.points.length === 2) parts.push('l0.01 0');
      setAttributes(this.brush, {
        d: parts.join(''),
        stroke: stroke.erase ? '#ffffff' : stroke.color,
        'stroke-width': stroke.width * view.scale,
      });
    }
  }

  /** @param {import('./shapes/index.js').HandleSpec[]} handles */
  renderHandles(handles) {
    const { view, activeVertex } = this.engine;
    const pool = this.handles.children;
    handles.forEach((handle, i) => {
      let element = pool[i];
      if (!element) {
        element = svg('rect', { width: 8, height: 8 });
        this.handles.append(element);
      }
      const p = view.toScreen(handle.x, handle.y);
      const size = handle.role === 'midpoint' ? 6 : 8;
      const active = activeVertex === handle.id;
      setAttributes(element, {
        class: `handle handle-${handle.role}${active ? ' is-active' : ''}`,
        'data-handle': handle.id,
        x: p.x - size / 2,
        y: p.y - size / 2,
        width: size,
        height: size,
        rx: handle.role === 'rotate' || handle.role === 'midpoint' ? size / 2 : 1,
      });
    });
    while (pool.length > handles.length) pool[pool.length - 1].remove();
  }

  /** @param {Array<{x: number, y: number, kind: string}>} markers image points */
  renderMarkers(markers) {
    const { view } = this.engine;
    const pool = this.markers.children;
    markers.forEach((marker, i) => {
      let element = pool[i];
      if (!element) {
        element = svg('circle', { r: 6 });
        this.markers.append(element);
      }
      const p = view.toScreen(marker.x, marker.y);
      setAttributes(element, { class: `marker marker-${marker.kind}`, cx: p.x, cy: p.y });
    });
    while (pool.length > markers.length) pool[pool.length - 1].remove();
  }
}
