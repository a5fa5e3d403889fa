// @ts-check
/**
 * The shapes layer: one 2D canvas with the image (from a pyramid of reductions) and every
 * visible shape under the view transform, from cached Path2D objects, culled by the grid index.
 * It paints only when asked (a change of shapes or view), on the next frame, and counts its
 * paints so tests can tell that an overlay-only pointer move left it alone.
 *
 * Shapes are rasterised into their own offscreen layer. While the view moves and the shapes do
 * not, a frame draws the image and that layer moved and scaled (as map renderers do) instead of
 * re-rasterising thousands of filled paths; the crisp paint follows when the gesture pauses.
 * An edit repaints only the layer's pixels around the shapes it changed (clipped, with the
 * shapes that meet them), not the thousands it did not touch.
 */

import { clamp } from './geometry.js';
import { shapeKind } from './shapes/index.js';

const PYRAMID_MIN_PX = 512;
const PREDICTION_ALPHA = 0.55;
const CAPTION_LIMIT = 200; // above this many visible shapes, captions cost more than they help
const SETTLE_MS = 220; // a view that has not moved for this long is painted crisp again (slow frames stay quick)
/** Past this many visible shapes, one path per class costs far less than one per shape. */
const COMBINE_MIN = 300;
/** A line width in device pixels safely below one (see paintShapes). */
const HAIRLINE = 0.98;
/** CSS pixels around a changed shape that its paint can reach (vertex dots, antialiasing). */
const DIRTY_MARGIN_PX = 6;
/** Past this many changed regions before a paint, one full rasterisation is cheaper. */
const DIRTY_MAX = 32;

/**
 * @typedef {import('./state.js').Shape} Shape
 * @typedef {import('./canvas.js').CanvasView} CanvasView
 */

/** @param {string} hex "#rrggbb" @param {number} alpha */
export function rgba(hex, alpha) {
  const value = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(value >> 16) & 255}, ${(value >> 8) & 255}, ${value & 255}, ${alpha})`;
}

export class Painter {
  /** @param {CanvasView} engine */
  constructor(engine) {
    this.engine = engine;
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'studio-canvas-layer';
    const context = this.canvas.getContext('2d', { alpha: true });
    if (!context) throw new Error('2D canvas is not available');
    this.ctx = context;
    /** @type {ImageBitmap|null} */
    this.image = null;
    /** @type {Array<{factor: number, bitmap: ImageBitmap}>} smallest first */
    this.levels = [];
    this.paints = 0;
    this.layer = document.createElement('canvas');
    this.layerCtx = /** @type {CanvasRenderingContext2D} */ (this.layer.getContext('2d'));
    /** The view the shapes layer was rasterised at; null when it must be redrawn. @type {{scale: number, x: number, y: number}|null} */
    this.layerView = null;
    /** @type {ReturnType<typeof setTimeout>|undefined} */
    this.settleTimer = undefined;
    /** @type {Map<string, Path2D>|null} one path per class of all plain shapes, rebuilt on change */
    this.combined = null;
    /** Image rectangles whose shapes changed since the layer was drawn, repainted at the next paint. @type {number[][]} */
    this.dirty = [];
    /** How the layer was last drawn in full: a repaint draws its part the same way. */
    this.layerStyle = { visible: 0, combined: false };
    /** When the last paint ran, for the benchmark's select and move timings. */
    this.lastPaint = { start: 0, end: 0 };
    /** @type {WeakMap<Shape, {path: Path2D, bounds: number[]|null}>} */
    this.geometry = new WeakMap();
  }

  /** @param {Shape} shape */
  cached(shape) {
    let entry = this.geometry.get(shape);
    if (!entry) {
      const kind = shapeKind(shape);
      entry = { path: kind.path(shape, this.engine.labels.get(shape.label)), bounds: kind.bounds(shape) };
      this.geometry.set(shape, entry);
    }
    return entry;
  }

  /** @param {number} width @param {number} height @param {number} dpr */
  resize(width, height, dpr) {
    this.canvas.width = this.layer.width = Math.max(1, Math.round(width * dpr));
    this.canvas.height = this.layer.height = Math.max(1, Math.round(height * dpr));
    this.layerView = null;
  }

  /** The shapes changed: the next paint rasterises them again. */
  invalidate() {
    this.layerView = null;
    this.combined = null;
    this.dirty = [];
  }

  /**
   * Shapes changed within these image rectangles only (their bounds before and after): the
   * next paint redraws just those parts of the layer, when the layer is current and uncaptioned.
   * @param {number[][]} regions
   */
  invalidateRegions(regions) {
    this.combined = null;
    if (!this.layerView) return; // a full rasterisation is due anyway
    if (this.layerStyle.visible <= CAPTION_LIMIT || this.dirty.length + regions.length > DIRTY_MAX) {
      this.invalidate(); // captions reach outside their shapes; many regions cost more than one pass
      return;
    }
    this.dirty.push(...regions);
  }

  /** @param {ImageBitmap|null} image */
  setImage(image) {
    for (const level of this.levels) level.bitmap.close();
    this.levels = [];
    this.image = image;
    if (image) this.buildLevels(image);
  }

  /**
   * Halved copies of the image, made after the first frame: zoomed out, drawing a
   * 12-megapixel photo scaled down every frame costs more than drawing its reduction, and
   * shimmers. Each level is made from the one before it, so each costs a quarter of the last.
   * @param {ImageBitmap} image
   */
  async buildLevels(image) {
    const levels = [];
    /** @type {ImageBitmap} */
    let source = image;
    for (let factor = 0.5; Math.max(image.width, image.height) * factor >= PYRAMID_MIN_PX; factor /= 2) {
      try {
        source = await createImageBitmap(source, {
          resizeWidth: Math.max(1, Math.round(image.width * factor)),
          resizeHeight: Math.max(1, Math.round(image.height * factor)),
          resizeQuality: 'medium',
        });
        levels.push({ factor, bitmap: source });
      } catch {
        break; // the full image still draws (or it was replaced, and closed, meanwhile)
      }
      if (this.image !== image) break;
    }
    if (this.image !== image) {
      for (const level of levels) level.bitmap.close();
      return; // another item's image is shown now: these levels are not of it
    }
    this.levels = levels.reverse();
    this.engine.requestPaint();
  }

  paint() {
    const started = performance.now();
    this.paintShapesLayer();
    this.lastPaint = { start: started, end: performance.now() };
  }

  paintShapesLayer() {
    this.paints += 1;
    const { ctx } = this;
    const { view, dpr } = this.engine;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    if (!this.image) return;
    ctx.setTransform(dpr * view.scale, 0, 0, dpr * view.scale, dpr * view.x, dpr * view.y);
    this.paintImage();
    const cached = this.layerView;
    const moved = cached && (cached.scale !== view.scale || cached.x !== view.x || cached.y !== view.y);
    if (cached && moved && !this.dirty.length) {
      // The view moves, the shapes do not: move the rasterised layer, paint crisp when it stops.
      const ratio = view.scale / cached.scale;
      ctx.setTransform(ratio, 0, 0, ratio, dpr * (view.x - cached.x * ratio), dpr * (view.y - cached.y * ratio));
      ctx.drawImage(this.layer, 0, 0);
      clearTimeout(this.settleTimer);
      this.settleTimer = setTimeout(() => {
        this.layerView = null;
        this.engine.requestPaint();
      }, SETTLE_MS);
      return;
    }
    if (!cached || moved) this.rasterise();
    else if (this.dirty.length) this.repaint(this.dirty.splice(0));
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(this.layer, 0, 0);
  }

  /** Draws every visible shape into the offscreen layer at the current view. */
  rasterise() {
    const { view, dpr } = this.engine;
    const ctx = this.layerCtx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.layer.width, this.layer.height);
    ctx.setTransform(dpr * view.scale, 0, 0, dpr * view.scale, dpr * view.x, dpr * view.y);
    const byLabel = this.visibleByLabel(view.visibleRect());
    let visible = 0;
    for (const group of byLabel.values()) visible += group.length;
    const combined = visible >= COMBINE_MIN && this.combinable(visible) ? this.combinedPaths() : null;
    this.paintShapes(ctx, byLabel, visible, combined);
    if (visible <= CAPTION_LIMIT) this.paintCaptions(ctx, byLabel);
    this.layerView = { scale: view.scale, x: view.x, y: view.y };
    this.layerStyle = { visible, combined: Boolean(combined) };
    this.dirty = [];
  }

  /**
   * Redraws the layer inside each region (grown by the reach of a shape's paint), clipped to
   * whole device pixels, with every shape that meets it, styled as the full pass styled them.
   * @param {number[][]} regions image rectangles
   */
  repaint(regions) {
    const { view, dpr } = this.engine;
    const ctx = this.layerCtx;
    const margin = DIRTY_MARGIN_PX / view.scale;
    const { visible, combined } = this.layerStyle;
    for (const region of regions) {
      const [ax, ay, bx, by] = grow(region, margin);
      const a = view.toScreen(ax, ay);
      const b = view.toScreen(bx, by);
      const x1 = Math.max(0, Math.floor(dpr * a.x));
      const y1 = Math.max(0, Math.floor(dpr * a.y));
      const x2 = Math.min(this.layer.width, Math.ceil(dpr * b.x));
      const y2 = Math.min(this.layer.height, Math.ceil(dpr * b.y));
      if (x2 <= x1 || y2 <= y1) continue;
      ctx.save();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.beginPath();
      ctx.rect(x1, y1, x2 - x1, y2 - y1);
      ctx.clip();
      ctx.clearRect(x1, y1, x2 - x1, y2 - y1);
      ctx.setTransform(dpr * view.scale, 0, 0, dpr * view.scale, dpr * view.x, dpr * view.y);
      const from = view.toImage(x1 / dpr, y1 / dpr);
      const to = view.toImage(x2 / dpr, y2 / dpr);
      // The shapes under the area pick up their own slack: those reaching in from outside it.
      const byLabel = this.visibleByLabel(grow([from.x, from.y, to.x, to.y], margin));
      this.paintShapes(ctx, byLabel, visible, combined ? this.pathsOf([...byLabel.values()].flat()) : null);
      ctx.restore();
    }
  }

  paintImage() {
    const { ctx } = this;
    const { view, dpr } = this.engine;
    const image = /** @type {ImageBitmap} */ (this.image);
    // Past 3x, show pixels as squares: annotators place edges on them.
    ctx.imageSmoothingEnabled = view.scale < 3;
    const [ax, ay, bx, by] = view.visibleRect();
    const sx = clamp(Math.floor(ax), 0, view.imageWidth);
    const sy = clamp(Math.floor(ay), 0, view.imageHeight);
    const sw = clamp(Math.ceil(bx), 0, view.imageWidth) - sx;
    const sh = clamp(Math.ceil(by), 0, view.imageHeight) - sy;
    if (sw <= 0 || sh <= 0) return;
    const level = this.levels.find((candidate) => candidate.factor >= view.scale * dpr);
    if (level) {
      const f = level.factor;
      ctx.drawImage(level.bitmap, sx * f, sy * f, sw * f, sh * f, sx, sy, sw, sh);
    } else {
      ctx.drawImage(image, sx, sy, sw, sh, sx, sy, sw, sh);
    }
  }

  /**
   * The shapes meeting an image rectangle, in drawing order, grouped by class (in the
   * project's class order, so a partial repaint layers classes as the full pass did) so that
   * colours are set once per class.
   * @param {number[]} rect
   */
  visibleByLabel(rect) {
    const { state, index, hidden, preview } = this.engine;
    const inView = index.query(rect);
    const hiddenId = preview?.id ?? null;
    /** @type {Map<string, Shape[]>} */
    const byLabel = new Map();
    for (const name of this.engine.labels.keys()) byLabel.set(name, []);
    for (const shape of state.list()) {
      if (!inView.has(shape.id) || shape.id === hiddenId || hidden.has(shape.id)) continue;
      const group = byLabel.get(shape.label);
      if (group) group.push(shape);
      else byLabel.set(shape.label, [shape]);
    }
    return byLabel;
  }

  /**
   * @param {CanvasRenderingContext2D} ctx
   * @param {Map<string, Shape[]>} byLabel
   * @param {number} visible how many shapes the layer shows (the line width depends on it)
   * @param {Map<string, Path2D>|null} combined one path per class for the plain shapes, or none
   */
  paintShapes(ctx, byLabel, visible, combined) {
    const { view, dpr } = this.engine;
    const unit = 1 / view.scale; // one CSS pixel in image units: strokes keep their screen width
    // Crowded views get lines just under one device pixel: Skia draws those as hairlines. At
    // exactly one, rounding in scale * (1 / scale) lands on either side of it, and a hair over
    // one takes the general stroker, four times slower at 5,000 polygons (measured).
    ctx.lineWidth = visible > CAPTION_LIMIT ? HAIRLINE / (view.scale * dpr) : 1.5 * unit;
    ctx.lineJoin = 'round';
    for (const [label, shapes] of byLabel) {
      const color = this.engine.colorOf(label);
      ctx.fillStyle = rgba(color, 0.14);
      ctx.strokeStyle = color;
      const path = combined?.get(label);
      if (path) {
        ctx.fill(path);
        ctx.stroke(path);
      }
      for (const shape of shapes) {
        const kind = shapeKind(shape);
        if (path && isPlain(shape, kind)) continue;
        // A prediction on review is see-through and dashed until it is accepted.
        if (shape.prediction) ctx.globalAlpha = PREDICTION_ALPHA;
        kind.paint?.(ctx, shape, color);
        const own = this.cached(shape).path;
        if (kind.filled) ctx.fill(own);
        ctx.setLineDash(shape.prediction ? [3 * unit, 3 * unit] : shape.occluded ? [6 * unit, 4 * unit] : []);
        ctx.stroke(own);
        ctx.setLineDash([]);
        if (kind.vertices) paintDots(ctx, kind.vertices(shape), color, unit);
        ctx.globalAlpha = 1;
        ctx.fillStyle = rgba(color, 0.14);
      }
    }
  }

  /** Whether nearly everything is on screen and nothing is left out (hidden, being dragged). @param {number} visible */
  combinable(visible) {
    const { state, hidden, preview } = this.engine;
    return !hidden.size && !preview?.id && visible >= 0.6 * state.order.length;
  }

  /** One path per class holding all its plain shapes (filled or stroked alike, not occluded). */
  combinedPaths() {
    if (!this.combined) this.combined = this.pathsOf(this.engine.state.list());
    return this.combined;
  }

  /**
   * One path per class of the plain shapes among these.
   * @param {Iterable<Shape>} shapes
   */
  pathsOf(shapes) {
    /** @type {Map<string, Path2D>} */
    const combined = new Map();
    for (const shape of shapes) {
      const kind = shapeKind(shape);
      if (!isPlain(shape, kind)) continue;
      let path = combined.get(shape.label);
      if (!path) combined.set(shape.label, (path = new Path2D()));
      path.addPath(this.cached(shape).path);
    }
    return combined;
  }

  /**
   * Class names on the top-left corner of each visible shape, in screen space.
   * @param {CanvasRenderingContext2D} ctx
   * @param {Map<string, Shape[]>} byLabel
   */
  paintCaptions(ctx, byLabel) {
    const { dpr, view } = this.engine;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.font = '600 11px system-ui, -apple-system, "Segoe UI", sans-serif';
    ctx.textBaseline = 'middle';
    for (const [label, shapes] of byLabel) {
      const color = this.engine.colorOf(label);
      const labelWidth = ctx.measureText(label).width;
      for (const shape of shapes) {
        const bounds = this.cached(shape).bounds;
        if (!bounds) continue;
        const text = shape.prediction ? predictionCaption(label, shape.prediction.score) : label;
        const textWidth = shape.prediction ? ctx.measureText(text).width : labelWidth;
        const p = view.toScreen(bounds[0], bounds[1]);
        const y = p.y >= 16 ? p.y - 16 : p.y;
        if (shape.prediction) ctx.globalAlpha = PREDICTION_ALPHA;
        ctx.fillStyle = color;
        ctx.fillRect(p.x, y, textWidth + 8, 16);
        ctx.fillStyle = readableOn(color);
        ctx.fillText(text, p.x + 4, y + 8);
        ctx.globalAlpha = 1;
      }
    }
  }
}

/**
 * A shape the combined class path can carry: filled kinds (polylines are never filled, so
 * their class path must be stroked only: they are drawn on their own), no dashes, no bitmap.
 * @param {Shape} shape @param {import('./shapes/index.js').ShapeKind} kind
 */
function isPlain(shape, kind) {
  return kind.filled && !shape.occluded && !shape.prediction && !kind.paint && !kind.vertices;
}

/** @param {number[]} rect @param {number} by */
function grow(rect, by) {
  return [rect[0] - by, rect[1] - by, rect[2] + by, rect[3] + by];
}

/** "car? 0.87": a prediction's caption. @param {string} label @param {number|null} score */
export function predictionCaption(label, score) {
  return score === null || score === undefined ? `${label}?` : `${label}? ${score.toFixed(2)}`;
}

/**
 * Points as squares of a fixed screen size.
 * @param {CanvasRenderingContext2D} ctx @param {number[]} points @param {string} color @param {number} unit
 */
function paintDots(ctx, points, color, unit) {
  const r = 3.5 * unit;
  ctx.fillStyle = color;
  for (let i = 0; i + 1 < points.length; i += 2) {
    ctx.fillRect(points[i] - r, points[i + 1] - r, 2 * r, 2 * r);
  }
}

/** Black or white text, whichever reads better on the colour. @param {string} hex */
function readableOn(hex) {
  const value = Number.parseInt(hex.slice(1), 16);
  const luminance =
    0.299 * ((value >> 16) & 255) + 0.587 * ((value >> 8) & 255) + 0.114 * (value & 255);
  return luminance > 150 ? '#111111' : '#ffffff';
}
