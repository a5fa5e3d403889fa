// @ts-check
/**
 * Tiny DOM helpers. Elements are built with properties and text nodes, never from HTML strings,
 * so user-supplied names cannot inject markup. No inline styles: CSP forbids them.
 */

/**
 * @typedef {Record<string, string | number | boolean | null | undefined | EventListener>} Props
 * @typedef {Node | string | number | null | undefined | false} Child
 */

/**
 * h("button", {class: "button", type: "button", testid: "member-add", onclick: fn}, "Add")
 *
 * `class`, `testid` (data-testid), `data-*` and `aria-*` become attributes, `on*` functions
 * listeners, everything else a property (value, checked, disabled, hidden, href...).
 *
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Props} [props]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") element.className = String(value);
    else if (key === "testid") element.dataset.testid = String(value);
    else if (key.startsWith("data-") || key.startsWith("aria-") || key === "role" || key === "for")
      element.setAttribute(key, String(value));
    else if (key.startsWith("on") && typeof value === "function")
      element.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    else /** @type {any} */ (element)[key] = value;
  }
  append(element, children);
  return element;
}

/**
 * @param {Element} parent
 * @param {(Child | Child[])[]} children
 */
export function append(parent, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(typeof child === "number" ? String(child) : child);
  }
}

/**
 * Replace all children.
 * @param {Element} parent
 * @param {...(Child | Child[])} children
 */
export function replace(parent, ...children) {
  parent.replaceChildren();
  append(parent, children);
}

/**
 * @template {Element} [T=HTMLElement]
 * @param {string} selector
 * @param {ParentNode} [root]
 * @returns {T}
 */
export function $(selector, root = document) {
  const element = root.querySelector(selector);
  if (!element) throw new Error(`Missing element ${selector}`);
  return /** @type {T} */ (element);
}

/**
 * The JSON the server rendered with json_script.
 * @param {string} id
 * @returns {any}
 */
export function jsonScript(id) {
  const element = document.getElementById(id);
  return element ? JSON.parse(element.textContent || "null") : null;
}

/**
 * @param {number} count
 * @param {string} singular
 * @param {string} [plural]
 */
export function plural(count, singular, plural = `${singular}s`) {
  return `${count} ${count === 1 ? singular : plural}`;
}

/** @param {string | null} iso */
export function formatTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return date.toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/**
 * Show a message in a status element: kind "error" | "ok" | "" (neutral). Empty text hides it.
 * @param {HTMLElement} element
 * @param {string} text
 * @param {"error" | "ok" | ""} [kind]
 */
export function say(element, text, kind = "") {
  element.textContent = text;
  element.hidden = !text;
  element.classList.toggle("error", kind === "error");
  element.classList.toggle("ok", kind === "ok");
}

/** Exposes state to browser tests (window.loupe), without clobbering the studio's hook. */
export function testHook() {
  const global = /** @type {any} */ (window);
  global.loupe = global.loupe || {};
  global.loupe.manage = global.loupe.manage || { ready: false };
  return /** @type {{ready: boolean, [key: string]: unknown}} */ (global.loupe.manage);
}

/** @param {unknown} error */
export function errorText(error) {
  return error instanceof Error ? error.message : String(error);
}
