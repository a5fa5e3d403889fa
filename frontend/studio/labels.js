// @ts-check
/**
 * The class picker: box classes as a list with colour swatches and 1-9 shortcuts (picking one
 * also re-classes the selected box), tag classes as checkboxes that add or remove a tag shape.
 */

/**
 * @typedef {{name: string, type: 'select'|'checkbox'|'text'|'number', values: string[],
 *   default: any}} AttributeSpec
 * @typedef {{name: string, color: string, kind: string, attributes: AttributeSpec[],
 *   keypoints: string[], skeleton: number[][]}} LabelClass
 * @typedef {import('./state.js').Shape} Shape
 */

/** Kinds this studio can draw today; the others are listed so users see the whole schema. */
const DRAWABLE = new Set(['box']);

/** A random UUID, also on plain-http hosts where crypto.randomUUID is missing. */
export function uuid() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  const parts = [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20)];
  return [...parts, hex.slice(20)].join('-');
}

/**
 * @param {AttributeSpec} spec
 * @param {any} value
 */
export function attributeValueOk(spec, value) {
  if (spec.type === 'select') return spec.values.includes(value);
  if (spec.type === 'checkbox') return typeof value === 'boolean';
  if (spec.type === 'number') return typeof value === 'number' && Number.isFinite(value);
  return typeof value === 'string' && value.length <= 1000;
}

/**
 * The attributes a shape of this class carries: the values given where they fit the class,
 * else the class defaults. Values the server would refuse are never sent.
 * @param {LabelClass|undefined} label
 * @param {Record<string, any>} [given]
 */
export function attributesFor(label, given = {}) {
  /** @type {Record<string, any>} */
  const out = {};
  for (const spec of label?.attributes || []) {
    if (spec.name in given && attributeValueOk(spec, given[spec.name]))
      out[spec.name] = given[spec.name];
    else if (
      spec.default !== null &&
      spec.default !== undefined &&
      attributeValueOk(spec, spec.default)
    ) {
      out[spec.name] = spec.default;
    }
  }
  return out;
}

export class LabelPanel {
  /**
   * @param {{classList: HTMLElement, tagList: HTMLElement}} elements
   * @param {import('./state.js').State} state
   * @param {LabelClass[]} labels
   */
  constructor(elements, state, labels) {
    this.elements = elements;
    this.state = state;
    this.labels = labels;
    /** @type {Map<string, LabelClass>} */
    this.byName = new Map(labels.map((label) => [label.name, label]));
    this.boxClasses = labels.filter((label) => DRAWABLE.has(label.kind));
    this.tagClasses = labels.filter((label) => label.kind === 'tag');
    /** @type {string|null} */
    this.active = this.boxClasses[0]?.name ?? null;
    this.render();
    state.addEventListener('change', () => this.syncTags());
    state.addEventListener('select', () => this.syncActive());
  }

  /** A new box of the active class, without points yet; null when there is no box class. */
  newBox() {
    const label = this.active ? this.byName.get(this.active) : undefined;
    if (!label) return null;
    return {
      id: uuid(),
      label: label.name,
      kind: label.kind,
      points: [],
      attributes: attributesFor(label),
      occluded: false,
    };
  }

  render() {
    const { classList, tagList } = this.elements;
    classList.replaceChildren();
    let number = 0;
    for (const label of this.labels) {
      if (label.kind === 'tag') continue;
      const drawable = DRAWABLE.has(label.kind);
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'label-option';
      button.dataset.testid = 'label-option';
      button.dataset.label = label.name;
      button.disabled = !drawable;
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.backgroundColor = label.color;
      const name = document.createElement('span');
      name.className = 'label-name';
      name.textContent = label.name;
      const key = document.createElement('kbd');
      if (drawable && number < 9) {
        number += 1;
        key.textContent = String(number);
        button.title = `${label.name} (${number})`;
      } else if (!drawable) {
        key.textContent = label.kind;
        key.className = 'kind';
        button.title = `${label.kind} classes cannot be drawn in this studio yet`;
      }
      button.append(swatch, name, key);
      button.addEventListener('click', () => this.pick(label.name));
      classList.append(button);
    }
    if (!classList.childElementCount) {
      classList.append(emptyNote('This project has no box classes.'));
    }

    tagList.replaceChildren();
    for (const label of this.tagClasses) {
      const row = document.createElement('label');
      row.className = 'tag-option';
      const input = document.createElement('input');
      input.type = 'checkbox';
      input.dataset.testid = 'tag-toggle';
      input.dataset.label = label.name;
      input.addEventListener('change', () => this.toggleTag(label.name, input.checked));
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.backgroundColor = label.color;
      const name = document.createElement('span');
      name.textContent = label.name;
      row.append(input, swatch, name);
      tagList.append(row);
    }
    if (!this.tagClasses.length) tagList.append(emptyNote('No image tags in this project.'));
    this.syncActive();
  }

  /**
   * Makes a class active by its number (1-9) or name, and re-classes the selected box with it.
   * @param {number|string} which
   */
  pick(which) {
    const label = typeof which === 'number' ? this.boxClasses[which - 1] : this.byName.get(which);
    if (!label || !DRAWABLE.has(label.kind)) return false;
    this.active = label.name;
    const selected = this.state.selected();
    if (selected && selected.kind === label.kind && selected.label !== label.name) {
      this.state.update(selected.id, {
        label: label.name,
        attributes: attributesFor(label, selected.attributes),
      });
    }
    this.syncActive();
    return true;
  }

  /**
   * @param {string} name
   * @param {boolean} on
   */
  toggleTag(name, on) {
    const existing = this.state
      .list()
      .filter((shape) => shape.kind === 'tag' && shape.label === name);
    if (on && !existing.length) {
      this.state.add({
        id: uuid(),
        label: name,
        kind: 'tag',
        points: [],
        attributes: attributesFor(this.byName.get(name)),
        occluded: false,
      });
    } else if (!on && existing.length) {
      this.state.apply(existing.map((shape) => ({ id: shape.id, before: shape, after: null })));
    }
    this.syncTags();
  }

  /** The selected box's class shows as active, so the picker always tells what 1-9 will change. */
  syncActive() {
    const selected = this.state.selected();
    if (selected && this.byName.get(selected.label)?.kind === 'box') this.active = selected.label;
    for (const button of this.elements.classList.querySelectorAll('.label-option')) {
      const element = /** @type {HTMLElement} */ (button);
      const active = element.dataset.label === this.active;
      element.classList.toggle('active', active);
      element.setAttribute('aria-pressed', String(active));
    }
  }

  syncTags() {
    const present = new Set(
      this.state
        .list()
        .filter((shape) => shape.kind === 'tag')
        .map((shape) => shape.label),
    );
    for (const input of this.elements.tagList.querySelectorAll('input[data-testid="tag-toggle"]')) {
      const element = /** @type {HTMLInputElement} */ (input);
      element.checked = present.has(element.dataset.label || '');
      element.disabled = this.state.readOnly;
    }
  }
}

/** @param {string} text */
function emptyNote(text) {
  const note = document.createElement('p');
  note.className = 'muted';
  note.textContent = text;
  return note;
}
