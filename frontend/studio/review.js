// @ts-check
/**
 * Review in the studio: comments pinned to a shape or to a point of the image, drawn as
 * numbered pins over the canvas and listed in the side panel (clicking either selects the shape
 * or centres the region). A reviewer opening someone's submitted document writes comments and
 * accepts or rejects; the annotator of a rejected document sees the open comments on their own.
 */

/**
 * @typedef {{x: number, y: number, w?: number, h?: number}} Region
 * @typedef {{id?: number, body: string, shape_id: string|null, region: Region|null,
 *   author?: string, resolved_at?: string|null}} Comment
 * @typedef {{id: number|null, item: number, annotator: string, status: string,
 *   version: number}} Doc
 */

/** Half the side of the square revealed around a point pin, in image pixels. */
const POINT_REACH = 40;
/** A drag smaller than this (image pixels, either side) places a point, not a box. */
const MIN_REGION = 4;

/**
 * @param {string} tag
 * @param {Record<string, string>} [attributes]
 * @param {Array<Node|string|null>} [children]
 * @returns {HTMLElement}
 */
function h(tag, attributes = {}, children = []) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'testid') element.dataset.testid = value;
    else element.setAttribute(name, value);
  }
  for (const child of children) if (child !== null) element.append(child);
  return element;
}

export class Review {
  /**
   * @param {{api: import('./api.js').Api, state: import('./state.js').State,
   *   canvas: import('./canvas.js').CanvasView, stage: HTMLElement, panel: HTMLElement,
   *   username: string, say: (text: string, kind?: 'info'|'error') => void,
   *   onDecided: (doc: Doc) => void}} options
   */
  constructor({ api, state, canvas, stage, panel, username, say, onDecided }) {
    this.api = api;
    this.state = state;
    this.canvas = canvas;
    this.panel = panel;
    this.username = username;
    this.say = say;
    this.onDecided = onDecided;
    /** @type {Doc|null} */
    this.doc = null;
    /** @type {Comment[]} stored comments shown (open ones; all of them to a reviewer) */
    this.comments = [];
    /** @type {Comment[]} the reviewer's comments not sent yet */
    this.pending = [];
    this.reviewing = false;
    this.armed = false;
    /** @type {{start: {x: number, y: number}, end: {x: number, y: number}}|null} a box being dragged */
    this.dragging = null;
    this.busy = false;
    /** The comment being written: kept across re-renders and failed requests. */
    this.draft = '';
    /** @type {number} index into shown() of the focused comment, or -1 */
    this.active = -1;
    this.pins = h('div', { class: 'review-pins', testid: 'review-pins' });
    stage.append(this.pins);
    canvas.addEventListener('view', () => this.drawPins());
    state.addEventListener('change', () => this.drawPins());
    state.addEventListener('select', () => {
      const pinShape = /** @type {HTMLButtonElement|null} */ (
        this.panel.querySelector('[data-testid=pin-shape]')
      );
      if (pinShape) pinShape.disabled = !state.selectedId;
    });
    new ResizeObserver(() => this.drawPins()).observe(stage);
    // While "Pin to a point or region" is armed, a click on the image places a point pin and a
    // drag a box; the canvas's tools see none of it (window capture runs before them).
    canvas.root.addEventListener(
      'pointerdown',
      (event) => {
        if (!this.armed) return;
        event.stopPropagation();
        event.preventDefault();
        const start = canvas.clientToImage(event.clientX, event.clientY);
        this.dragging = { start, end: start };
        /** @param {PointerEvent} move */
        const onMove = (move) => {
          move.stopPropagation();
          if (this.dragging) this.dragging.end = canvas.clientToImage(move.clientX, move.clientY);
          this.drawPins();
        };
        /** @param {PointerEvent} up */
        const onUp = (up) => {
          up.stopPropagation();
          window.removeEventListener('pointermove', onMove, true);
          window.removeEventListener('pointerup', onUp, true);
          this.dragging = null;
          this.disarm();
          this.placeRegion(start, canvas.clientToImage(up.clientX, up.clientY));
        };
        window.addEventListener('pointermove', onMove, true);
        window.addEventListener('pointerup', onUp, true);
      },
      { capture: true },
    );
  }

  /**
   * A point where the press and release meet, else the box between them clipped to the image.
   * @param {{x: number, y: number}} a @param {{x: number, y: number}} b image pixels
   */
  placeRegion(a, b) {
    const width = this.canvas.imageWidth;
    const height = this.canvas.imageHeight;
    const clamp = (/** @type {number} */ value, /** @type {number} */ limit) =>
      Math.min(Math.max(Math.round(value), 0), limit);
    const x0 = clamp(Math.min(a.x, b.x), width);
    const y0 = clamp(Math.min(a.y, b.y), height);
    const x1 = clamp(Math.max(a.x, b.x), width);
    const y1 = clamp(Math.max(a.y, b.y), height);
    if (x1 - x0 >= MIN_REGION && y1 - y0 >= MIN_REGION) {
      this.addPending({ shape_id: null, region: { x: x0, y: y0, w: x1 - x0, h: y1 - y0 } });
      return;
    }
    if (a.x < 0 || a.y < 0 || a.x > width || a.y > height) {
      this.say('Click inside the image to place the pin.', 'error');
      return;
    }
    this.addPending({ shape_id: null, region: { x: Math.round(a.x), y: Math.round(a.y) } });
  }

  /** Every comment on screen: the stored ones, then the reviewer's new ones. */
  shown() {
    return [...this.comments, ...this.pending];
  }

  /**
   * Shows a document's review: its comments (open ones, or all for a reviewer) and, when
   * `reviewing`, the form to comment and decide.
   * @param {Doc} doc
   * @param {{reviewing: boolean}} options
   */
  async show(doc, { reviewing }) {
    this.doc = doc;
    this.reviewing = reviewing;
    this.pending = [];
    this.comments = [];
    this.draft = '';
    this.active = -1;
    this.disarm();
    if (doc.id !== null) {
      try {
        const open = reviewing ? '' : '&open=1';
        const response = await this.api.request(
          'GET',
          `annotations/${doc.id}/comments/?page_size=500${open}`,
        );
        if (this.doc !== doc) return; // another document was opened meanwhile
        this.comments = (await response.json()).results;
      } catch (error) {
        this.say(`Could not load the review comments: ${error instanceof Error ? error.message : error}`, 'error');
      }
    }
    this.render();
  }

  clear() {
    this.doc = null;
    this.comments = [];
    this.pending = [];
    this.reviewing = false;
    this.disarm();
    this.render();
  }

  /** @param {{shape_id: string|null, region: Region|null}} pin */
  addPending(pin) {
    const field = /** @type {HTMLTextAreaElement|null} */ (
      this.panel.querySelector('[data-testid=review-comment-body]')
    );
    const body = (field ? field.value : this.draft).trim();
    if (!body) {
      this.say('Write the comment first, then pin it.', 'error');
      field?.focus();
      return;
    }
    this.pending.push({ body, ...pin });
    this.draft = '';
    this.active = this.shown().length - 1;
    this.render();
  }

  disarm() {
    this.armed = false;
    this.canvas.root.classList.remove('is-pinning');
    this.panel.querySelector('[data-testid=pin-point]')?.classList.remove('active');
  }

  // --- drawing ------------------------------------------------------------------------------

  /** @param {Comment} comment @returns {number[]|null} image bounds the comment points at */
  boundsOf(comment) {
    if (comment.shape_id) {
      const shape = this.state.get(comment.shape_id);
      return shape ? this.canvas.boundsOf(shape) : null;
    }
    const region = comment.region;
    if (!region) return null;
    if (region.w !== undefined && region.h !== undefined) {
      return [region.x, region.y, region.x + region.w, region.y + region.h];
    }
    return [region.x, region.y, region.x, region.y];
  }

  drawPins() {
    const pins = [];
    const { canvas } = this;
    if (canvas.image) {
      this.shown().forEach((comment, index) => {
        const bounds = this.boundsOf(comment);
        if (!bounds) return;
        const a = canvas.imageToScreen(bounds[0], bounds[1]);
        const b = canvas.imageToScreen(bounds[2], bounds[3]);
        const isBox = bounds[2] > bounds[0] || bounds[3] > bounds[1];
        if (isBox && !comment.shape_id) {
          const area = h('div', { class: 'review-region' });
          area.style.left = `${a.x}px`;
          area.style.top = `${a.y}px`;
          area.style.width = `${b.x - a.x}px`;
          area.style.height = `${b.y - a.y}px`;
          pins.push(area);
        }
        const pin = h(
          'button',
          {
            type: 'button',
            class: `review-pin${index === this.active ? ' is-active' : ''}${comment.id === undefined ? ' is-new' : ''}`,
            testid: 'review-pin',
            'data-index': String(index),
            title: comment.body,
            'aria-label': `Comment ${index + 1}: ${comment.body}`,
          },
          [String(index + 1)],
        );
        // A shape's pin sits on its top-left corner; a point's pin points at the point.
        pin.style.left = `${a.x}px`;
        pin.style.top = `${a.y}px`;
        pin.addEventListener('click', () => this.focus(index));
        pins.push(pin);
      });
    }
    if (this.dragging) {
      const a = canvas.imageToScreen(this.dragging.start.x, this.dragging.start.y);
      const b = canvas.imageToScreen(this.dragging.end.x, this.dragging.end.y);
      const area = h('div', { class: 'review-region is-new', testid: 'review-region-preview' });
      area.style.left = `${Math.min(a.x, b.x)}px`;
      area.style.top = `${Math.min(a.y, b.y)}px`;
      area.style.width = `${Math.abs(b.x - a.x)}px`;
      area.style.height = `${Math.abs(b.y - a.y)}px`;
      pins.push(area);
    }
    this.pins.replaceChildren(...pins);
  }

  /** Selects the comment's shape or centres its region, and marks it in the list. @param {number} index */
  focus(index) {
    const comment = this.shown()[index];
    if (!comment) return;
    this.active = index;
    const bounds = this.boundsOf(comment);
    if (comment.shape_id && this.state.get(comment.shape_id)) this.state.select(comment.shape_id);
    if (bounds) {
      const reach = comment.shape_id ? 0 : POINT_REACH;
      this.canvas.reveal([
        bounds[0] - reach,
        bounds[1] - reach,
        bounds[2] + reach,
        bounds[3] + reach,
      ]);
    }
    this.render();
  }

  // --- the side panel ---------------------------------------------------------------------------

  /** @param {Comment} comment */
  where(comment) {
    if (comment.shape_id) {
      const shape = this.state.get(comment.shape_id);
      if (!shape) return 'on a deleted shape';
      const place = this.state.order.indexOf(comment.shape_id);
      return `on ${shape.label} ${shape.kind} #${place + 1}`;
    }
    if (comment.region) return comment.region.w !== undefined ? 'on a region' : 'at a point';
    return 'on the whole image';
  }

  render() {
    const doc = this.doc;
    const shown = this.shown();
    this.panel.hidden = !doc || (!this.reviewing && shown.length === 0 && doc.annotator === this.username);
    if (this.panel.hidden) {
      this.panel.replaceChildren();
      this.drawPins();
      return;
    }
    const title = h('h2', { class: 'panel-title' }, [
      'Review',
      h('span', { class: 'count', testid: 'comment-count' }, [String(shown.length)]),
    ]);
    const children = [title];
    if (doc && doc.annotator !== this.username) {
      children.push(
        h('p', { class: 'review-owner', testid: 'review-owner' }, [
          `By ${doc.annotator} · `,
          h('span', { class: 'doc-badge', 'data-status': doc.status }, [doc.status]),
          this.reviewing ? null : ' · read-only',
        ]),
      );
    } else if (shown.length) {
      children.push(
        h('p', { class: 'review-owner' }, [
          'A reviewer sent this back. Fix what the comments say, then submit again.',
        ]),
      );
    }
    const list = h('ol', { class: 'comment-list', testid: 'comment-list' });
    shown.forEach((comment, index) => {
      const row = h(
        'li',
        {
          class: `comment-row${index === this.active ? ' is-active' : ''}`,
          testid: 'comment-row',
          tabindex: '0',
        },
        [
          h('span', { class: 'comment-number' }, [String(index + 1)]),
          h('span', { class: 'comment-text' }, [
            h('span', { class: 'comment-body', testid: 'comment-body' }, [comment.body]),
            h('span', { class: 'comment-meta' }, [
              `${comment.author || 'new'} · ${this.where(comment)}${comment.resolved_at ? ' · resolved' : ''}`,
            ]),
          ]),
        ],
      );
      if (comment.id === undefined) {
        const remove = h(
          'button',
          { type: 'button', class: 'tool comment-remove', 'aria-label': 'Remove comment' },
          ['×'],
        );
        remove.addEventListener('click', (event) => {
          event.stopPropagation();
          this.pending.splice(index - this.comments.length, 1);
          this.active = -1;
          this.render();
        });
        row.append(remove);
      }
      row.addEventListener('click', () => this.focus(index));
      row.addEventListener('keydown', (event) => {
        if (event.key === 'Enter') this.focus(index);
      });
      list.append(row);
    });
    if (shown.length) children.push(list);
    if (this.reviewing) children.push(this.form());
    this.panel.replaceChildren(...children);
    this.drawPins();
  }

  /** The reviewer's controls: the comment, where to pin it, and the decision. */
  form() {
    const body = /** @type {HTMLTextAreaElement} */ (
      h('textarea', {
        class: 'review-body',
        rows: '3',
        maxlength: '5000',
        placeholder: 'What should change?',
        testid: 'review-comment-body',
        'aria-label': 'Comment',
      })
    );
    body.value = this.draft;
    body.addEventListener('input', () => {
      this.draft = body.value;
    });
    const selected = this.state.selectedId;
    const pinShape = h(
      'button',
      { type: 'button', class: 'button small', testid: 'pin-shape' },
      ['Pin to selected shape'],
    );
    /** @type {HTMLButtonElement} */ (pinShape).disabled = !selected;
    pinShape.addEventListener('click', () =>
      this.addPending({ shape_id: this.state.selectedId, region: null }),
    );
    const pinPoint = h(
      'button',
      {
        type: 'button',
        class: 'button small',
        testid: 'pin-point',
        title: 'Then click the image for a point, or drag a box',
      },
      ['Pin to the image'],
    );
    pinPoint.classList.toggle('active', this.armed);
    pinPoint.addEventListener('click', () => {
      if (!body.value.trim()) {
        this.say('Write the comment first, then pin it.', 'error');
        body.focus();
        return;
      }
      this.armed = !this.armed;
      pinPoint.classList.toggle('active', this.armed);
      this.canvas.root.classList.toggle('is-pinning', this.armed);
      if (this.armed) this.say('Click the image, or drag a box, where the comment belongs.');
    });
    const note = h('button', { type: 'button', class: 'button small', testid: 'pin-none' }, [
      'Add as a note',
    ]);
    note.addEventListener('click', () => this.addPending({ shape_id: null, region: null }));
    const accept = h('button', { type: 'button', class: 'button primary', testid: 'review-accept' }, [
      'Accept',
    ]);
    const reject = h('button', { type: 'button', class: 'button danger', testid: 'review-reject' }, [
      'Reject',
    ]);
    accept.addEventListener('click', () => this.decide('accept'));
    reject.addEventListener('click', () => this.decide('reject'));
    for (const button of [accept, reject]) /** @type {HTMLButtonElement} */ (button).disabled = this.busy;
    return h('div', { class: 'review-form', testid: 'review-form' }, [
      body,
      h('div', { class: 'review-pin-buttons' }, [pinShape, pinPoint, note]),
      h('div', { class: 'review-decision' }, [reject, accept]),
    ]);
  }

  /** @param {'accept'|'reject'} decision */
  async decide(decision) {
    const doc = this.doc;
    if (!doc || doc.id === null || this.busy) return;
    const field = /** @type {HTMLTextAreaElement|null} */ (
      this.panel.querySelector('[data-testid=review-comment-body]')
    );
    if (field) this.draft = field.value;
    const leftover = (field ? field.value : this.draft).trim();
    // Text left in the box goes along as a note on the whole image.
    const comments = [...this.pending, ...(leftover ? [{ body: leftover, shape_id: null, region: null }] : [])];
    this.busy = true;
    this.render();
    try {
      const response = await this.api.request('POST', `annotations/${doc.id}/review/`, {
        body: {
          decision,
          comments: comments.map(({ body, shape_id, region }) => ({ body, shape_id, region })),
        },
      });
      const decided = await response.json();
      this.pending = [];
      this.draft = '';
      this.say(decision === 'accept' ? 'Accepted.' : 'Rejected: it goes back to its annotator.');
      this.onDecided(decided);
    } catch (error) {
      this.say(`Not reviewed: ${error instanceof Error ? error.message : error}`, 'error');
    } finally {
      this.busy = false;
      this.render();
    }
  }
}
