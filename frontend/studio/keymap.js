// @ts-check
/**
 * Keyboard shortcuts from keymap.json: matching key events to actions, the tooltips of the
 * controls that carry a data-action, and the help overlay. Change a key there and all three
 * follow.
 */

import keymapFile from './keymap.json' with { type: 'json' };

/**
 * @typedef {{action: string, keys: string[], group: string, description: string,
 *   pointer?: boolean}} Binding
 * @typedef {{action: string, key: string}} Match
 */

const MAC = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
const MODIFIERS = ['Mod', 'Alt', 'Shift'];

/**
 * "Mod+Shift+Z" -> the same canonical text comboOf() produces for the event.
 * @param {string} text
 */
function canonical(text) {
  const match = text.match(/^((?:(?:Mod|Alt|Shift)\+)*)(.+)$/);
  if (!match) return text;
  const mods = match[1].split('+').filter(Boolean);
  let key = match[2];
  if (key.length === 1 && /[a-z]/i.test(key)) key = key.toUpperCase();
  return [...MODIFIERS.filter((mod) => mods.includes(mod)), key].join('+');
}

/**
 * Shift is part of a letter or named key ("Shift+Z", "Shift+ArrowUp") but not of a printed
 * symbol: "?" and "+" already say which key was pressed, whatever the layout.
 * @param {KeyboardEvent} event
 * @param {string} [key]
 */
export function comboOf(event, key = event.key) {
  const parts = [];
  if (event.ctrlKey || event.metaKey) parts.push('Mod');
  if (event.altKey) parts.push('Alt');
  const letter = key.length === 1 && /[a-z]/i.test(key);
  if (event.shiftKey && (letter || key.length > 1)) parts.push('Shift');
  parts.push(letter ? key.toUpperCase() : key === ' ' ? 'Space' : key);
  return parts.join('+');
}

/** @param {string} key as written in keymap.json */
export function displayKey(key) {
  return key
    .replace(/^Mod\+/, MAC ? '⌘' : 'Ctrl+')
    .replace('Shift+', MAC ? '⇧' : 'Shift+')
    .replace('ArrowLeft', '←')
    .replace('ArrowRight', '→')
    .replace('ArrowUp', '↑')
    .replace('ArrowDown', '↓')
    .replace('Escape', 'Esc')
    .replace('Ctrl+click', MAC ? '⌃click' : 'Ctrl+click');
}

export class Keymap {
  /** @param {Binding[]} bindings */
  constructor(bindings) {
    this.bindings = bindings;
    /**
     * One key may mean several actions (Backspace: the last vertex while drawing, else the
     * selected shape); the active tool is offered them first, in keymap order.
     * @type {Map<string, Match[]>}
     */
    this.byCombo = new Map();
    for (const binding of bindings) {
      if (binding.pointer) continue;
      for (const key of binding.keys) {
        const combo = canonical(key);
        const list = this.byCombo.get(combo) || [];
        list.push({ action: binding.action, key });
        this.byCombo.set(combo, list);
      }
    }
  }

  /** @param {KeyboardEvent} event @returns {Match[]} every action bound to the key */
  matchAll(event) {
    const found = this.byCombo.get(comboOf(event));
    if (found) return found;
    // Layouts where digits need Shift (AZERTY), or Alt+digit typing a symbol (macOS), still
    // reach the digit row's bindings.
    const digit = event.code.match(/^Digit([0-9])$/);
    if (!digit || event.ctrlKey || event.metaKey) return [];
    const mod = event.altKey ? 'Alt+' : event.shiftKey ? 'Shift+' : '';
    return this.byCombo.get(`${mod}${digit[1]}`) || [];
  }

  /** @param {KeyboardEvent} event @returns {Match|null} */
  match(event) {
    return this.matchAll(event)[0] || null;
  }

  /** @param {string} action @returns {Binding|undefined} */
  binding(action) {
    return this.bindings.find((binding) => binding.action === action);
  }

  /** @param {string} action the keys of an action, for display */
  keysOf(action) {
    const binding = this.binding(action);
    return binding ? binding.keys.map(displayKey) : [];
  }

  /**
   * Gives every [data-action] control under root a tooltip naming its shortcut.
   * @param {ParentNode} root
   */
  decorate(root) {
    for (const element of root.querySelectorAll('[data-action]')) {
      const action = /** @type {HTMLElement} */ (element).dataset.action || '';
      const binding = this.binding(action);
      if (!binding) continue;
      const keys = this.keysOf(action);
      const label =
        element.getAttribute('aria-label') || element.textContent?.trim() || binding.description;
      element.setAttribute('title', `${label} (${keys.join(' / ')})`);
      if (element.hasAttribute('data-show-key') && !element.querySelector('.tool-key')) {
        const badge = document.createElement('span');
        badge.className = 'tool-key';
        badge.setAttribute('aria-hidden', 'true');
        badge.textContent = keys[0] || '';
        element.append(badge);
      }
      if (!binding.pointer) element.setAttribute('aria-keyshortcuts', binding.keys.join(' '));
    }
  }

  /**
   * Fills the help overlay: one table per group.
   * @param {HTMLElement} container
   * @param {string[]} groups
   */
  renderHelp(container, groups) {
    container.replaceChildren();
    for (const group of groups) {
      const bindings = this.bindings.filter((binding) => binding.group === group);
      if (!bindings.length) continue;
      const section = document.createElement('section');
      const heading = document.createElement('h3');
      heading.textContent = group;
      const table = document.createElement('dl');
      for (const binding of bindings) {
        const keys = document.createElement('dt');
        // A run of nine keys (1-9, Shift+1-9) reads as its first and last.
        const run = binding.keys.length === 9 && binding.keys[0].endsWith('1');
        const shown = run ? [binding.keys[0], '…', binding.keys[8]] : binding.keys;
        for (const key of shown) {
          const kbd = document.createElement('kbd');
          kbd.textContent = key === '…' ? key : displayKey(key);
          keys.append(kbd);
        }
        const description = document.createElement('dd');
        description.textContent = binding.description;
        table.append(keys, description);
      }
      section.append(heading, table);
      container.append(section);
    }
  }
}

export const keymap = new Keymap(/** @type {Binding[]} */ (keymapFile.bindings));
export const keymapGroups = /** @type {string[]} */ (keymapFile.groups);
