// @ts-check
/** The sidebar's shape list and the attribute editor of the selected shape. */

import { clamp } from './geometry.js';
import { attributesFor, labelRef } from './labels.js';
import { shapeKind } from './shapes/index.js';

/**
 * @typedef {import('./state.js').Shape} Shape
 * @typedef {import('./labels.js').LabelClass} LabelClass
 * @typedef {import('./labels.js').AttributeSpec} AttributeSpec
 */

/**
 * @param {string} tag
 * @param {string} [className]
 * @param {string} [text]
 */
function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The row's detail text: kind and size. @param {Shape} shape */
function describe(shape) {
  return shapeKind(shape).describe(shape);
}

/** Each row's height in CSS pixels; the list sets it on its rows, so layout cannot disagree. */
const ROW_HEIGHT = 30;
/** Rows rendered above and below the visible ones, so a fast scroll shows no blank rows. */
const OVERSCAN = 10;

/**
 * The sidebar's shape list, windowed: only the rows in view (and a few either side) exist in
 * the DOM, between two spacers standing in for the rest. Thousands of rows kept in the page,
 * even skipped with content-visibility, cost the browser a visibility check per row on every
 * frame of a zoom or pan; a window of about fifty costs nothing.
 */
export class ShapeList {
  /**
   * @param {HTMLElement} list the scrolling list element
   * @param {HTMLElement} count
   * @param {import('./state.js').State} state
   * @param {Map<string, LabelClass>} labels
   * @param {(shape: Shape) => void} onPick called when a row is clicked
   */
  constructor(list, count, state, labels, onPick) {
    this.list = list;
    this.count = count;
    this.state = state;
    this.labels = labels;
    /** The rendered rows by shape id. @type {Map<string, HTMLElement>} */
    this.rows = new Map();
    /** The shape each row was last filled from. @type {WeakMap<HTMLElement, Shape>} */
    this.filledFrom = new WeakMap();
    this.topSpacer = spacer();
    this.bottomSpacer = spacer();
    list.style.setProperty('--shape-row-height', `${ROW_HEIGHT}px`);
    list.append(this.topSpacer, this.bottomSpacer);
    this.scrollTop = 0;
    this.frame = 0;
    /** @type {{hidden: Set<string>, locked: Set<string>}} client-only flags, shown in the row */
    this.flags = { hidden: new Set(), locked: new Set() };
    state.addEventListener('change', () => {
      this.syncCount();
      this.schedule();
    });
    state.addEventListener('select', () => this.syncSelection());
    state.addEventListener('flags', (event) => {
      const row = this.rows.get(/** @type {CustomEvent} */ (event).detail.id);
      if (row) this.filledFrom.delete(row);
      this.schedule();
    });
    list.addEventListener(
      'scroll',
      () => {
        this.scrollTop = list.scrollTop;
        this.schedule();
      },
      { passive: true },
    );
    list.addEventListener('click', (event) => {
      const target = /** @type {HTMLElement} */ (event.target);
      const row = /** @type {HTMLElement|null} */ (target.closest('[data-shape-id]'));
      const shape = row && state.get(row.dataset.shapeId);
      if (!shape) return;
      if (target.closest('.row-delete')) state.remove(shape.id);
      else onPick(shape);
    });
    this.syncCount();
    this.render();
  }

  /** @param {Shape} shape */
  row(shape) {
    const row = element('li', 'shape-row');
    row.dataset.testid = 'shape-row';
    row.dataset.shapeId = shape.id;
    row.tabIndex = -1;
    const swatch = element('span', 'swatch');
    const name = element('span', 'row-label');
    const detail = element('span', 'row-detail');
    const flags = element('span', 'row-flags');
    const remove = /** @type {HTMLButtonElement} */ (element('button', 'row-delete', '×'));
    remove.type = 'button';
    remove.title = 'Delete';
    row.append(swatch, name, detail, flags, remove);
    return row;
  }

  /** @param {HTMLElement} row @param {Shape} shape */
  fill(row, shape) {
    const [swatch, name, detail, flags, remove] = /** @type {HTMLElement[]} */ ([...row.children]);
    row.dataset.label = shape.label;
    swatch.style.backgroundColor = this.labels.get(shape.label)?.color || '#cccccc';
    name.textContent = shape.label;
    detail.textContent = describe(shape);
    row.classList.toggle('is-prediction', Boolean(shape.prediction));
    const score = shape.prediction?.score;
    const words = [
      shape.prediction ? `pred.${typeof score === 'number' ? ` ${score.toFixed(2)}` : ''}` : '',
      shape.occluded ? 'occl.' : '',
      this.flags.hidden.has(shape.id) ? 'hidden' : '',
      this.flags.locked.has(shape.id) ? 'locked' : '',
    ].filter(Boolean);
    flags.textContent = words.join(' ');
    flags.title = words.join(', ');
    remove.setAttribute('aria-label', `Delete ${shape.label}`);
    /** @type {HTMLButtonElement} */ (remove).disabled = this.state.readOnly;
    this.filledFrom.set(row, shape);
  }

  /** Renders the window on the next frame: many changes in one task cost one render. */
  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  /**
   * Makes the DOM hold the rows of the window in order, reusing the rows already there (so a
   * focused or hovered row stays the same element) and refilling only those whose shape changed.
   */
  render() {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    const order = this.state.order;
    const total = order.length;
    const shown = Math.ceil(window.innerHeight / ROW_HEIGHT) + 2 * OVERSCAN;
    const first = clamp(Math.floor(this.scrollTop / ROW_HEIGHT) - OVERSCAN, 0, Math.max(0, total - shown));
    const last = Math.min(total, first + shown);
    /** @type {Map<string, HTMLElement>} */
    const rows = new Map();
    let cursor = /** @type {ChildNode|null} */ (this.topSpacer.nextSibling);
    for (let i = first; i < last; i += 1) {
      const shape = /** @type {Shape} */ (this.state.get(order[i]));
      let row = this.rows.get(shape.id);
      if (!row) row = this.row(shape);
      if (this.filledFrom.get(row) !== shape) this.fill(row, shape);
      const detail = /** @type {HTMLElement} */ (row.children[2]);
      if (detail.dataset.n !== String(i + 1)) detail.dataset.n = String(i + 1);
      row.setAttribute('aria-posinset', String(i + 1));
      row.setAttribute('aria-setsize', String(total));
      const selected = shape.id === this.state.selectedId;
      if (row.classList.contains('selected') !== selected) {
        row.classList.toggle('selected', selected);
        row.setAttribute('aria-selected', String(selected));
      }
      if (cursor === row) cursor = row.nextSibling;
      else this.list.insertBefore(row, cursor);
      rows.set(shape.id, row);
    }
    for (const [id, row] of this.rows) if (!rows.has(id)) row.remove();
    this.rows = rows;
    this.topSpacer.style.height = `${first * ROW_HEIGHT}px`;
    this.bottomSpacer.style.height = `${(total - last) * ROW_HEIGHT}px`;
    this.list.classList.toggle('is-empty', total === 0);
  }

  /** Tags are answers about the image, not shapes on it, and predictions not yet the user's: not counted. */
  syncCount() {
    let shapes = 0;
    for (const id of this.state.order) {
      const shape = /** @type {Shape} */ (this.state.get(id));
      if (shape.kind !== 'tag' && !shape.prediction) shapes += 1;
    }
    this.count.textContent = String(shapes);
  }

  /** Scrolls the selected shape's row into view (the list's own scroll only) and marks it. */
  syncSelection() {
    const index = this.state.selectedId ? this.state.order.indexOf(this.state.selectedId) : -1;
    if (index >= 0) {
      const top = index * ROW_HEIGHT;
      const height = this.list.clientHeight;
      let scrollTop = this.list.scrollTop;
      if (top < scrollTop) scrollTop = top;
      else if (top + ROW_HEIGHT > scrollTop + height) scrollTop = top + ROW_HEIGHT - height;
      if (scrollTop !== this.list.scrollTop) this.list.scrollTop = scrollTop;
      this.scrollTop = this.list.scrollTop;
    }
    this.render();
  }
}

/** A list item standing in for rows outside the window. */
function spacer() {
  const item = element('li', 'shape-list-spacer');
  item.setAttribute('aria-hidden', 'true');
  return item;
}

export class AttributeEditor {
  /**
   * @param {HTMLElement} container
   * @param {import('./state.js').State} state
   * @param {LabelClass[]} labels
   */
  constructor(container, state, labels) {
    this.container = container;
    this.state = state;
    this.labels = labels;
    /** @type {Map<string, LabelClass>} */
    this.byName = new Map(labels.map((label) => [label.name, label]));
    /** @type {Shape|undefined} */
    this.shown = undefined;
    state.addEventListener('select', () => this.render());
    state.addEventListener('change', () => {
      const shape = this.state.selected();
      if (shape === this.shown) return;
      // Same shape and class: refresh values in place, so Tab from one field to the next
      // (which commits the first) does not rebuild the form under the focus.
      if (shape && this.shown && shape.id === this.shown.id && shape.label === this.shown.label) {
        this.sync(shape);
      } else {
        this.render();
      }
    });
    this.render();
  }

  /** Writes the focused field's value now (the submit path calls it before saving). */
  commit() {
    const active = document.activeElement;
    if (active instanceof HTMLInputElement && this.container.contains(active)) {
      active.dispatchEvent(new Event('input'));
    }
  }

  render() {
    const shape = this.state.selected();
    this.shown = shape;
    this.container.replaceChildren();
    if (!shape) {
      this.container.append(
        element('p', 'muted', 'Select a shape to edit its class and attributes.'),
      );
      return;
    }
    const label = this.byName.get(shape.label);
    const form = element('div', 'attribute-form');
    const disabled = this.state.readOnly;

    const sameKind = this.labels.filter((other) => other.kind === shape.kind);
    const classSelect = /** @type {HTMLSelectElement} */ (element('select'));
    classSelect.dataset.testid = 'shape-class';
    classSelect.disabled = disabled || sameKind.length < 2;
    for (const other of sameKind) {
      const option = /** @type {HTMLOptionElement} */ (element('option', '', other.name));
      option.value = other.name;
      option.selected = other.name === shape.label;
      classSelect.append(option);
    }
    classSelect.addEventListener('change', () => {
      const next = this.byName.get(classSelect.value);
      const current = this.state.get(shape.id);
      if (!current) return;
      this.state.update(shape.id, {
        label: classSelect.value,
        ...labelRef(next),
        attributes: attributesFor(next, current.attributes),
      });
    });
    form.append(field('Class', classSelect));

    for (const spec of label?.attributes || []) {
      const control = this.control(shape, spec);
      control.disabled = disabled;
      form.append(field(spec.name, control, spec.type === 'checkbox'));
    }

    if (shape.kind !== 'tag') {
      const occluded = /** @type {HTMLInputElement} */ (element('input'));
      occluded.type = 'checkbox';
      occluded.checked = shape.occluded;
      occluded.disabled = disabled;
      occluded.dataset.testid = 'shape-occluded';
      occluded.addEventListener('change', () =>
        this.state.update(shape.id, { occluded: occluded.checked }),
      );
      form.append(field('occluded', occluded, true));
    }
    this.container.append(form);
  }

  /**
   * Writes the shape's current values into the controls that show them.
   * @param {Shape} shape
   */
  sync(shape) {
    this.shown = shape;
    for (const node of this.container.querySelectorAll('[data-attribute]')) {
      const control = /** @type {HTMLInputElement|HTMLSelectElement} */ (node);
      const value = shape.attributes[control.dataset.attribute || ''];
      if (control instanceof HTMLInputElement && control.type === 'checkbox') {
        control.checked = value === true;
      } else if (document.activeElement !== control) {
        control.value = value === undefined ? '' : String(value);
      }
    }
    const occluded = /** @type {HTMLInputElement|null} */ (
      this.container.querySelector('[data-testid="shape-occluded"]')
    );
    if (occluded) occluded.checked = shape.occluded;
  }

  /**
   * One input for one attribute; its change writes the attribute (or removes it when emptied).
   * @param {Shape} shape
   * @param {AttributeSpec} spec
   * @returns {HTMLInputElement|HTMLSelectElement}
   */
  control(shape, spec) {
    const value = shape.attributes[spec.name];
    /** @param {any} next @param {string} [typing] keystrokes in one field make one undo step */
    const write = (next, typing) => {
      const current = this.state.get(shape.id);
      if (!current) return;
      const attributes = { ...current.attributes };
      if (next === undefined) delete attributes[spec.name];
      else attributes[spec.name] = next;
      this.state.update(shape.id, { attributes }, typing);
    };
    let control;
    if (spec.type === 'select') {
      const select = /** @type {HTMLSelectElement} */ (element('select'));
      select.append(new Option('—', ''));
      for (const choice of spec.values)
        select.append(new Option(choice, choice, false, choice === value));
      select.addEventListener('change', () =>
        write(select.value === '' ? undefined : select.value),
      );
      control = select;
    } else {
      const input = /** @type {HTMLInputElement} */ (element('input'));
      if (spec.type === 'checkbox') {
        input.type = 'checkbox';
        input.checked = value === true;
        input.addEventListener('change', () => write(input.checked));
      } else if (spec.type === 'number') {
        input.type = 'number';
        input.step = 'any';
        input.value = typeof value === 'number' ? String(value) : '';
        // As typed, not on blur: a shortcut (Ctrl+Enter submits) must not leave it behind.
        input.addEventListener('input', () => {
          const number = input.valueAsNumber;
          write(Number.isFinite(number) ? number : undefined, `${shape.id}:${spec.name}`);
        });
      } else {
        input.type = 'text';
        input.maxLength = 1000;
        input.value = typeof value === 'string' ? value : '';
        input.addEventListener('input', () =>
          write(input.value === '' ? undefined : input.value, `${shape.id}:${spec.name}`),
        );
      }
      control = input;
    }
    control.dataset.testid = 'attribute-input';
    control.dataset.attribute = spec.name;
    return control;
  }
}

/**
 * @param {string} name
 * @param {HTMLElement} control
 * @param {boolean} [inline] checkbox after its text, on one line
 */
function field(name, control, inline = false) {
  const wrapper = element('label', inline ? 'field inline' : 'field');
  const text = element('span', 'field-name', name);
  wrapper.append(text, control);
  return wrapper;
}
