// @ts-check
/**
 * What the manager's panels (members, quality, training...) build alike: an action run with its
 * button disabled and its failure said beside it, and a list table that says so when it is empty.
 */

import { ApiError } from "./api.js";
import { errorText, h, say } from "./dom.js";

/**
 * Runs `action` with `control` disabled (so a double click cannot send it twice) and says a
 * failure in `errorBox`: the server's message about the first of `fields` it names, else the
 * error's own text.
 * @param {HTMLButtonElement | HTMLSelectElement} control
 * @param {HTMLElement} errorBox
 * @param {() => Promise<void>} action
 * @param {string[]} [fields]
 * @returns {Promise<boolean>} whether the action succeeded
 */
export async function whileDisabled(control, errorBox, action, fields = []) {
  control.disabled = true;
  try {
    await action();
    return true;
  } catch (error) {
    say(errorBox, error instanceof ApiError ? error.messageFor(...fields) : errorText(error), "error");
    return false;
  } finally {
    control.disabled = false;
  }
}

/**
 * A `table.list` with one heading row, or the `empty` paragraph when there are no rows.
 * @param {import("./dom.js").Props} props the table's (testid, extra classes)
 * @param {(string | [string, import("./dom.js").Props])[]} headings a text, or a text and the th's props
 * @param {HTMLTableRowElement[]} rows
 * @param {string} empty
 */
export function listTable(props, headings, rows, empty) {
  if (!rows.length) return h("p", { class: "empty small" }, empty);
  const cells = headings.map((heading) =>
    typeof heading === "string" ? h("th", {}, heading) : h("th", heading[1], heading[0]),
  );
  return h(
    "table",
    { ...props, class: ["list", props.class].filter(Boolean).join(" ") },
    h("thead", {}, h("tr", {}, cells)),
    h("tbody", {}, rows),
  );
}

/**
 * The heading of a column of figures (right-aligned like them), for `listTable`.
 * @param {string} text @param {string} [title] what the figures mean, on hover
 * @returns {[string, import("./dom.js").Props]}
 */
export function numeric(text, title) {
  return [text, { class: "num", title }];
}

/**
 * A card's heading: the title, a count beside it when given, then any controls (a Close button).
 * @param {string} title
 * @param {number | null} [count]
 * @param {...import("./dom.js").Child} controls
 */
export function sectionHead(title, count = null, ...controls) {
  const counted = count === null ? [] : [" ", h("span", { class: "count" }, String(count))];
  return h("div", { class: "section-head" }, h("h2", {}, title, ...counted), ...controls);
}
