// @ts-check
/** The sidebar's shape list and the attribute editor of the selected shape. */

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

/**
 * The row's detail text; its position comes from a CSS counter, so inserting or deleting a
 * shape renumbers the list without touching every row.
 * @param {Shape} shape
 */
function describe(shape) {
  return shapeKind(shape).describe(shape);
}

export class ShapeList {
  /**
   * @param {HTMLElement} list
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
    /** @type {Map<string, HTMLElement>} */
    this.rows = new Map();
    /** @type {HTMLElement|undefined} */
    this.selectedRow = undefined;
    state.addEventListener('change', (event) => {
      const { changeSet, origin } = /** @type {CustomEvent} */ (event).detail;
      if (origin === 'load') this.render();
      else this.patch(changeSet);
    });
    state.addEventListener('select', () => this.syncSelection());
    state.addEventListener('flags', (event) => {
      const id = /** @type {CustomEvent} */ (event).detail.id;
      const shape = state.get(id);
      const row = this.rows.get(id);
      if (shape && row) this.fill(row, shape);
    });
    /** @type {{hidden: Set<string>, locked: Set<string>}} client-only flags, shown in the row */
    this.flags = { hidden: new Set(), locked: new Set() };
    list.addEventListener('click', (event) => {
      const target = /** @type {HTMLElement} */ (event.target);
      const row = /** @type {HTMLElement|null} */ (target.closest('[data-shape-id]'));
      const shape = row && state.get(row.dataset.shapeId);
      if (!shape) return;
      if (target.closest('.row-delete')) state.remove(shape.id);
      else onPick(shape);
    });
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
    this.fill(row, shape);
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
  }

  render() {
    this.rows = new Map(this.state.list().map((shape) => [shape.id, this.row(shape)]));
    this.list.replaceChildren(...this.rows.values());
    this.selectedRow = undefined;
    this.renumber(0);
    this.syncCount();
    this.syncSelection();
  }

  /**
   * Touches only the rows a change set names: a drag or a nudge must not rebuild a list of
   * a thousand shapes.
   * @param {import('./state.js').ChangeSet} changeSet
   */
  patch(changeSet) {
    let from = Infinity; // the first position whose number changed
    for (const change of changeSet) {
      const row = this.rows.get(change.id);
      if (!change.after) {
        if (row) from = Math.min(from, Array.prototype.indexOf.call(this.list.children, row));
        row?.remove();
        this.rows.delete(change.id);
      } else if (row) {
        this.fill(row, change.after);
      } else {
        const added = this.row(change.after);
        this.rows.set(change.id, added);
        const at = Math.min(change.index ?? this.rows.size, this.list.children.length);
        this.list.insertBefore(added, this.list.children[at] || null);
        from = Math.min(from, at);
      }
    }
    if (from < Infinity) this.renumber(from);
    this.syncCount();
    this.syncSelection();
  }

  /**
   * Writes each row's position from `from` on. The rows skip rendering off screen
   * (content-visibility), which scopes CSS counters, so the numbers are written, not counted;
   * an edit renumbers only the rows after it (usually none: shapes are added at the end).
   * @param {number} from
   */
  renumber(from) {
    const rows = this.list.children;
    for (let i = Math.max(0, from); i < rows.length; i += 1) {
      const detail = /** @type {HTMLElement|null} */ (rows[i].querySelector('.row-detail'));
      if (detail) detail.dataset.n = String(i + 1);
    }
  }

  /** Tags are answers about the image, not shapes on it, and predictions not yet the user's: not counted. */
  syncCount() {
    let shapes = 0;
    for (const shape of this.state.list()) if (shape.kind !== 'tag' && !shape.prediction) shapes += 1;
    this.count.textContent = String(shapes);
    this.list.classList.toggle('is-empty', this.rows.size === 0);
  }

  syncSelection() {
    const row = this.rows.get(this.state.selectedId || '');
    if (row === this.selectedRow) return;
    for (const old of [this.selectedRow, row]) {
      if (!old) continue;
      const selected = old === row;
      old.classList.toggle('selected', selected);
      old.setAttribute('aria-selected', String(selected));
    }
    this.selectedRow = row;
    row?.scrollIntoView({ block: 'nearest' });
  }
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
