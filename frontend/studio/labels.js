// @ts-check
/**
 * The class picker: drawable classes as a list with colour swatches and 1-9 shortcuts (picking
 * one makes it the class of the next shape, switches to its kind's tool, and re-classes the
 * selected shape when the user selected one of that kind), tag classes as toggles that add or
 * remove a tag shape (Shift+1-9), grouped under their group's name: a single-choice group's
 * toggles behave as radio buttons, a multi-choice group's as checkboxes.
 */

/**
 * @typedef {{name: string, type: 'select'|'checkbox'|'text'|'number', values: string[],
 *   default: any}} AttributeSpec
 * The class `id` is stable; `name` is display only (a rename keeps the id and every shape).
 * @typedef {{id?: string, name: string, color: string, kind: string, attributes: AttributeSpec[],
 *   keypoints: string[], skeleton: number[][], group?: string, group_choice?: string}} LabelClass
 * @typedef {import('./state.js').Shape} Shape
 */

/** Kinds this studio can draw; the others are listed so users see the whole schema. */
export const DRAWABLE = new Set(['box', 'polygon', 'polyline', 'keypoints', 'cuboid', 'mask']);

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
 * The stable class id a shape carries beside its display name (older schemas have none).
 * @param {LabelClass|undefined} label
 * @returns {{label_id?: string}}
 */
export function labelRef(label) {
  return label && label.id ? { label_id: label.id } : {};
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
   * @param {(label: LabelClass) => void} [onPick] called when a class is picked (its kind's tool)
   */
  constructor(elements, state, labels, onPick = () => {}) {
    this.elements = elements;
    this.onPick = onPick;
    this.state = state;
    this.labels = labels;
    /** @type {Map<string, LabelClass>} */
    this.byName = new Map(labels.map((label) => [label.name, label]));
    this.drawableClasses = labels.filter((label) => DRAWABLE.has(label.kind));
    this.tagClasses = labels.filter((label) => label.kind === 'tag');
    /** @type {string|null} */
    this.active = this.drawableClasses[0]?.name ?? null;
    /** The class last picked for each kind, so switching tools keeps the user's choice. */
    /** @type {Map<string, string>} */
    this.activeByKind = new Map();
    for (const label of [...this.drawableClasses].reverse()) this.activeByKind.set(label.kind, label.name);
    this.render();
    state.addEventListener('change', () => this.syncTags());
    state.addEventListener('select', () => this.syncActive(true));
  }

  /**
   * Makes the kind's last picked class the active one (a tool was chosen).
   * @param {string} kind
   */
  activateKind(kind) {
    const name = this.activeByKind.get(kind);
    if (name) this.active = name;
    this.syncActive();
    return Boolean(name);
  }

  /**
   * A new shape of the kind's active class, without points yet; null when there is none.
   * @param {string} kind
   */
  newShape(kind) {
    const name = this.activeByKind.get(kind);
    const label = name ? this.byName.get(name) : undefined;
    if (!label) return null;
    return {
      id: uuid(),
      label: label.name,
      ...labelRef(label),
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
        button.title = `${label.name}, ${label.kind} (${number})`;
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
      classList.append(emptyNote('This project has no classes to draw.'));
    }

    tagList.replaceChildren();
    // Ungrouped tags first, then each group under its name; Shift+n toggles the n-th tag class.
    /** @type {Map<string|null, LabelClass[]>} */
    const groups = new Map([[null, []]]);
    for (const label of this.tagClasses) {
      const group = label.group || null;
      groups.set(group, [...(groups.get(group) || []), label]);
    }
    for (const [group, members] of groups) {
      if (!members.length) continue;
      const single = group !== null && tagChoice(members[0]) === 'single';
      const box = document.createElement('div');
      box.className = 'tag-group';
      box.dataset.testid = 'tag-group';
      if (group !== null) {
        box.dataset.group = group;
        box.dataset.choice = single ? 'single' : 'multi';
        box.setAttribute('role', single ? 'radiogroup' : 'group');
        const heading = document.createElement('h3');
        heading.className = 'tag-group-name';
        heading.textContent = group;
        heading.title = single ? 'Pick one' : 'Pick any';
        box.setAttribute('aria-label', group);
        box.append(heading);
      }
      const options = document.createElement('div');
      options.className = 'tag-options';
      for (const label of members) {
        const number = this.tagClasses.indexOf(label) + 1;
        const row = document.createElement('label');
        row.className = single ? 'tag-option single' : 'tag-option';
        const input = document.createElement('input');
        input.type = 'checkbox';
        if (single) input.setAttribute('role', 'radio');
        input.dataset.testid = 'tag-toggle';
        input.dataset.label = label.name;
        input.addEventListener('change', () => this.toggleTag(label.name, input.checked));
        const swatch = document.createElement('span');
        swatch.className = 'swatch';
        swatch.style.backgroundColor = label.color;
        const name = document.createElement('span');
        name.textContent = label.name;
        row.append(input, swatch, name);
        if (number <= 9) {
          const key = document.createElement('kbd');
          key.textContent = `⇧${number}`;
          row.title = `${label.name} (Shift+${number})`;
          input.setAttribute('aria-keyshortcuts', `Shift+${number}`);
          row.append(key);
        }
        options.append(row);
      }
      box.append(options);
      tagList.append(box);
    }
    if (!this.tagClasses.length) tagList.append(emptyNote('No image tags in this project.'));
    this.syncActive();
  }

  /**
   * Makes a class active by its number (1-9) or name. A shape the user selected (drawing never
   * selects) of the same kind is re-classed with it.
   * @param {number|string} which
   */
  pick(which) {
    const label = typeof which === 'number' ? this.drawableClasses[which - 1] : this.byName.get(which);
    if (!label || !DRAWABLE.has(label.kind)) return false;
    this.active = label.name;
    this.activeByKind.set(label.kind, label.name);
    this.onPick(label);
    const selected = this.state.selected();
    if (selected && selected.kind === label.kind && selected.label !== label.name) {
      this.state.update(selected.id, {
        label: label.name,
        ...labelRef(label),
        attributes: attributesFor(label, selected.attributes),
      });
    }
    this.syncActive();
    return true;
  }

  /**
   * Ticks or unticks a tag class. Ticking one of a single-choice group unticks the group's
   * other classes in the same change set (one undo step, one save).
   * @param {string} name
   * @param {boolean} on
   */
  toggleTag(name, on) {
    const label = this.byName.get(name);
    const tags = this.state.list().filter((shape) => shape.kind === 'tag');
    const existing = tags.filter((shape) => shape.label === name);
    /** @type {import('./state.js').ChangeSet} */
    const changes = [];
    if (on && !existing.length) {
      if (label && label.group && tagChoice(label) === 'single') {
        const rivals = new Set(
          this.tagClasses
            .filter((other) => other.group === label.group && other.name !== name)
            .map((other) => other.name),
        );
        for (const shape of tags) {
          if (rivals.has(shape.label)) changes.push({ id: shape.id, before: shape, after: null });
        }
      }
      const id = uuid();
      changes.push({
        id,
        before: null,
        after: {
          id,
          label: name,
          ...labelRef(label),
          kind: 'tag',
          points: [],
          attributes: attributesFor(label),
          occluded: false,
        },
      });
    } else if (!on && existing.length) {
      for (const shape of existing) changes.push({ id: shape.id, before: shape, after: null });
    }
    if (changes.length) this.state.apply(changes);
    this.syncTags();
  }

  /**
   * Toggles the n-th tag class (1-9), as Shift+n does.
   * @param {number} number
   */
  toggleTagNumber(number) {
    const label = this.tagClasses[number - 1];
    if (!label || this.state.readOnly) return false;
    const on = this.state.list().some((shape) => shape.kind === 'tag' && shape.label === label.name);
    this.toggleTag(label.name, !on);
    return true;
  }

  /**
   * Highlights the active class. A newly selected shape's class becomes the active one, so the
   * picker tells what 1-9 will change.
   * @param {boolean} [fromSelection]
   */
  syncActive(fromSelection = false) {
    const selected = fromSelection ? this.state.selected() : undefined;
    if (selected && selected.kind !== 'tag' && this.byName.has(selected.label)) {
      this.active = selected.label;
      this.activeByKind.set(selected.kind, selected.label);
    }
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

/**
 * A tag group's choice: "single" unless the class says "multi".
 * @param {LabelClass} label
 */
function tagChoice(label) {
  return label.group_choice === 'multi' ? 'multi' : 'single';
}

/** @param {string} text */
function emptyNote(text) {
  const note = document.createElement('p');
  note.className = 'muted';
  note.textContent = text;
  return note;
}
