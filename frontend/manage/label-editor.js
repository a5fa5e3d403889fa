// @ts-check
/**
 * The label-schema editor shared by the new-project page and the project settings: rows of
 * label classes {id, name, colour, kind, attributes, keypoints, skeleton, group, group_choice}.
 * It only edits and reads the list; saving belongs to the page that embeds it. Each row keeps its
 * class's id, so a renamed class stays the same class (and keeps its shapes) on the server.
 */

import { h, replace } from "./dom.js";

/** @typedef {import("./api.js").LabelClass} LabelClass */
/** @typedef {import("./api.js").Attribute} Attribute */

export const KINDS = /** @type {const} */ ([
  ["tag", "Tag (whole image)"],
  ["box", "Box"],
  ["polygon", "Polygon"],
  ["polyline", "Polyline"],
  ["keypoints", "Keypoints"],
  ["cuboid", "Cuboid"],
  ["mask", "Mask (brush)"],
]);
export const GROUP_CHOICES = /** @type {const} */ ([
  ["single", "one of the group"],
  ["multi", "any of the group"],
]);
export const ATTRIBUTE_TYPES = /** @type {const} */ ([
  ["select", "Select"],
  ["checkbox", "Checkbox"],
  ["text", "Text"],
  ["number", "Number"],
]);
// Distinct on a photo and for most colour-blind viewers (Sasha Trubetskoy's list).
const PALETTE = [
  "#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45",
  "#469990", "#9a6324", "#800000", "#808000", "#000075", "#ffe119",
];

/** Split "a, b ,c" into ["a", "b", "c"]. @param {string} text */
export function splitList(text) {
  return text
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
}

/**
 * @param {string} tag
 * @param {readonly (readonly [string, string])[]} options
 * @param {string} value
 * @param {Record<string, any>} [props]
 */
function select(tag, options, value, props = {}) {
  return h(
    "select",
    { testid: tag, ...props },
    options.map(([optionValue, text]) =>
      h("option", { value: optionValue, selected: optionValue === value }, text),
    ),
  );
}

/** @param {unknown} value */
function defaultText(value) {
  return value === null || value === undefined ? "" : String(value);
}

/**
 * @param {string} type
 * @param {string} text
 * @returns {unknown}
 */
function parseDefault(type, text) {
  const value = text.trim();
  if (!value) return null;
  if (type === "checkbox") return ["true", "yes", "1", "on"].includes(value.toLowerCase());
  if (type === "number") return Number.isFinite(Number(value)) ? Number(value) : value;
  return value;
}

/**
 * "nose-left_eye, 0-2" -> [[0, 1], [0, 2]]; names may themselves hold hyphens.
 * @param {string} text
 * @param {string[]} keypoints
 * @returns {{edges: number[][], bad: string[]}}
 */
export function parseSkeleton(text, keypoints) {
  const index = (/** @type {string} */ token) => {
    const trimmed = token.trim();
    const byName = keypoints.indexOf(trimmed);
    if (byName >= 0) return byName;
    return /^\d+$/.test(trimmed) && Number(trimmed) < keypoints.length ? Number(trimmed) : -1;
  };
  /** @type {number[][]} */
  const edges = [];
  /** @type {string[]} */
  const bad = [];
  for (const token of splitList(text)) {
    let found = null;
    for (let at = token.indexOf("-"); at > 0; at = token.indexOf("-", at + 1)) {
      const [from, to] = [index(token.slice(0, at)), index(token.slice(at + 1))];
      if (from >= 0 && to >= 0) {
        found = [from, to];
        break;
      }
    }
    if (found) edges.push(found);
    else bad.push(token);
  }
  return { edges, bad };
}

/** @param {number[][]} skeleton @param {string[]} keypoints */
function skeletonText(skeleton, keypoints) {
  const name = (/** @type {number} */ index) => keypoints[index] ?? String(index);
  return skeleton.map(([from, to]) => `${name(from)}-${name(to)}`).join(", ");
}

/**
 * One attribute row.
 * @param {Partial<Attribute>} attribute
 * @param {() => void} onRemove
 */
function attributeRow(attribute, onRemove) {
  const type = select("attribute-type", ATTRIBUTE_TYPES, attribute.type || "select", {
    "aria-label": "Attribute type",
  });
  const values = h("input", {
    testid: "attribute-values",
    value: (attribute.values || []).join(", "),
    placeholder: "Values, comma-separated",
    "aria-label": "Values (comma-separated)",
  });
  const sync = () => {
    values.disabled = type.value !== "select";
    values.placeholder = values.disabled ? "Only for select" : "Values, comma-separated";
  };
  type.addEventListener("change", sync);
  sync();
  const row = h(
    "div",
    { class: "attribute-row", testid: "attribute-row" },
    h("input", {
      testid: "attribute-name",
      value: attribute.name || "",
      placeholder: "Attribute name",
      "aria-label": "Attribute name",
      required: true,
    }),
    type,
    values,
    h("input", {
      testid: "attribute-default",
      value: defaultText(attribute.default),
      placeholder: "Default",
      "aria-label": "Default value",
    }),
    h(
      "button",
      {
        type: "button",
        class: "button icon",
        testid: "attribute-remove",
        title: "Remove attribute",
        "aria-label": "Remove attribute",
        onclick: () => {
          row.remove();
          onRemove();
        },
      },
      "×",
    ),
  );
  return row;
}

/** @param {HTMLElement} row @returns {Attribute} */
function readAttribute(row) {
  const field = (/** @type {string} */ testid) =>
    /** @type {HTMLInputElement} */ (row.querySelector(`[data-testid="${testid}"]`));
  const type = field("attribute-type").value;
  return {
    name: field("attribute-name").value.trim(),
    type,
    values: type === "select" ? splitList(field("attribute-values").value) : [],
    default: parseDefault(type, field("attribute-default").value),
  };
}

/**
 * @typedef {object} LabelEditor
 * @property {HTMLElement} element
 * @property {(labels: LabelClass[]) => void} set
 * @property {() => {labels: LabelClass[], errors: Record<string, any> | null}} read
 *   the classes as typed, and client-side errors shaped like the server's
 * @property {(errors: unknown) => void} showErrors  the server's `errors.labels`
 * @property {() => void} clearErrors
 */

/**
 * @param {{labels?: LabelClass[], emptyText?: string}} [options]
 * @returns {LabelEditor}
 */
export function labelEditor({ labels = [], emptyText = "No label classes yet." } = {}) {
  const rows = h("div", { class: "label-rows", testid: "label-rows" });
  const empty = h("p", { class: "empty small", testid: "labels-empty" }, emptyText);
  const topError = h("p", { class: "field-error", testid: "labels-error", hidden: true });
  const element = h(
    "div",
    { class: "label-editor", testid: "label-editor" },
    topError,
    rows,
    empty,
    h(
      "button",
      {
        type: "button",
        class: "button",
        testid: "label-add",
        onclick: () => {
          const row = labelRow({ kind: "box" });
          rows.append(row);
          refresh();
          /** @type {HTMLInputElement} */ (row.querySelector("[data-testid=label-name]")).focus();
        },
      },
      "+ Add label class",
    ),
  );

  const refresh = () => {
    empty.hidden = rows.children.length > 0;
    Array.from(rows.children).forEach((row, index) => {
      const [up, down] = row.querySelectorAll(".move");
      /** @type {HTMLButtonElement} */ (up).disabled = index === 0;
      /** @type {HTMLButtonElement} */ (down).disabled = index === rows.children.length - 1;
    });
  };

  const nextColor = () => {
    const used = new Set(
      Array.from(rows.querySelectorAll("[data-testid=label-color]")).map((input) =>
        /** @type {HTMLInputElement} */ (input).value.toLowerCase(),
      ),
    );
    const unused = PALETTE.find((color) => !used.has(color));
    return unused || PALETTE[rows.children.length % PALETTE.length];
  };

  /** @param {Partial<LabelClass>} label */
  const labelRow = (label) => {
    const color = h("input", {
      type: "color",
      testid: "label-color",
      value: label.color || nextColor(),
      title: "Colour",
      "aria-label": "Colour",
    });
    const name = h("input", {
      testid: "label-name",
      value: label.name || "",
      placeholder: "Class name, e.g. car",
      "aria-label": "Class name",
      required: true,
      maxLength: 100,
    });
    const kind = select("label-kind", KINDS, label.kind || "box", { "aria-label": "Kind" });
    const keypoints = h("input", {
      testid: "label-keypoints",
      value: (label.keypoints || []).join(", "),
      placeholder: "e.g. nose, left_eye, right_eye",
    });
    const skeleton = h("input", {
      testid: "label-skeleton",
      value: skeletonText(label.skeleton || [], label.keypoints || []),
      placeholder: "e.g. nose-left_eye, nose-right_eye",
    });
    const group = h("input", {
      testid: "label-group",
      value: label.group || "",
      placeholder: "e.g. time of day",
      maxLength: 100,
    });
    const choice = label.group_choice || "single";
    const groupChoice = select("label-group-choice", GROUP_CHOICES, choice, {
      "aria-label": "Choice in the group",
    });
    const groupBlock = h(
      "div",
      { class: "keypoint-fields group-fields" },
      h("label", {}, "Tag group (optional)", group),
      h("label", {}, "Annotators tick", groupChoice),
    );
    const keypointBlock = h(
      "div",
      { class: "keypoint-fields" },
      h("label", {}, "Keypoint names (comma-separated, in order)", keypoints),
      h("label", {}, "Skeleton edges (optional)", skeleton),
    );
    const attributes = h("div", { class: "attribute-rows" });
    const attributeHead = h(
      "div",
      { class: "attribute-head", "aria-hidden": "true" },
      h("span", {}, "Attribute"),
      h("span", {}, "Type"),
      h("span", {}, "Values"),
      h("span", {}, "Default"),
      h("span", {}),
    );
    const syncAttributes = () => {
      attributeHead.hidden = attributes.children.length === 0;
    };
    for (const attribute of label.attributes || []) {
      attributes.append(attributeRow(attribute, syncAttributes));
    }
    syncAttributes();
    // Any kind may carry keypoints (the synthetic scenes' boxes do), so the fields stay visible
    // while they hold names, and are always saved: switching kind never drops them silently.
    const syncKind = () => {
      keypointBlock.hidden = kind.value !== "keypoints" && !keypoints.value.trim();
      groupBlock.hidden = kind.value !== "tag";
    };
    kind.addEventListener("change", syncKind);
    keypoints.addEventListener("input", syncKind);
    syncKind();
    const error = h("div", { class: "field-error", testid: "label-error", hidden: true });
    const move = (/** @type {number} */ step) => {
      const sibling = step < 0 ? row.previousElementSibling : row.nextElementSibling;
      if (!sibling) return;
      if (step < 0) sibling.before(row);
      else sibling.after(row);
      refresh();
    };
    const row = h(
      "fieldset",
      { class: "label-row", testid: "label-row" },
      h(
        "div",
        { class: "label-main" },
        color,
        name,
        kind,
        h(
          "div",
          { class: "label-actions" },
          h(
            "button",
            {
              type: "button",
              class: "button icon move",
              title: "Move up",
              "aria-label": "Move up",
              onclick: () => move(-1),
            },
            "↑",
          ),
          h(
            "button",
            {
              type: "button",
              class: "button icon move",
              title: "Move down",
              "aria-label": "Move down",
              onclick: () => move(1),
            },
            "↓",
          ),
          h(
            "button",
            {
              type: "button",
              class: "button icon danger",
              testid: "label-remove",
              title: "Remove class",
              "aria-label": "Remove class",
              onclick: () => {
                row.remove();
                refresh();
              },
            },
            "×",
          ),
        ),
      ),
      keypointBlock,
      groupBlock,
      h(
        "div",
        { class: "attributes" },
        attributeHead,
        attributes,
        h(
          "button",
          {
            type: "button",
            class: "link small",
            testid: "attribute-add",
            onclick: () => {
              const added = attributeRow({ type: "select" }, syncAttributes);
              attributes.append(added);
              syncAttributes();
              /** @type {HTMLInputElement} */ (added.querySelector("input")).focus();
            },
          },
          "+ Add attribute",
        ),
      ),
      error,
    );
    if (label.id) row.dataset.labelId = label.id;
    return row;
  };

  /** @param {LabelClass[]} next */
  const set = (next) => {
    replace(rows);
    for (const label of next) rows.append(labelRow(label));
    refresh();
  };

  const read = () => {
    /** @type {LabelClass[]} */
    const result = [];
    /** @type {Record<string, any>} */
    const errors = {};
    Array.from(rows.children).forEach((row, position) => {
      const field = (/** @type {string} */ testid) =>
        /** @type {HTMLInputElement} */ (row.querySelector(`[data-testid="${testid}"]`));
      const kind = field("label-kind").value;
      const keypoints = splitList(field("label-keypoints").value);
      const skeleton = parseSkeleton(field("label-skeleton").value, keypoints);
      if (skeleton.bad.length) {
        errors[String(position)] = {
          skeleton: [`Unknown keypoints in edge ${skeleton.bad.join(", ")}; use name-name pairs.`],
        };
      }
      const group = kind === "tag" ? field("label-group").value.trim() : "";
      const labelId = /** @type {HTMLElement} */ (row).dataset.labelId;
      result.push({
        ...(labelId ? { id: labelId } : {}),
        name: field("label-name").value.trim(),
        color: field("label-color").value.toLowerCase(),
        kind,
        attributes: Array.from(row.querySelectorAll("[data-testid=attribute-row]")).map((item) =>
          readAttribute(/** @type {HTMLElement} */ (item)),
        ),
        keypoints,
        skeleton: skeleton.edges,
        group: group || null,
        group_choice: group ? field("label-group-choice").value : null,
      });
    });
    return { labels: result, errors: Object.keys(errors).length ? errors : null };
  };

  const clearErrors = () => {
    topError.hidden = true;
    for (const node of element.querySelectorAll("[data-testid=label-error]")) {
      /** @type {HTMLElement} */ (node).hidden = true;
      node.replaceChildren();
    }
    for (const node of element.querySelectorAll("[aria-invalid]")) {
      node.removeAttribute("aria-invalid");
    }
  };

  /** @param {unknown} errors */
  const showErrors = (errors) => {
    clearErrors();
    if (!errors) return;
    if (Array.isArray(errors) || typeof errors !== "object") {
      topError.textContent = [errors].flat().join(" ");
      topError.hidden = false;
      return;
    }
    const fieldNames = /** @type {Record<string, string>} */ ({
      name: "label-name",
      color: "label-color",
      kind: "label-kind",
      keypoints: "label-keypoints",
      skeleton: "label-skeleton",
      group: "label-group",
      group_choice: "label-group-choice",
    });
    const byRow = /** @type {Record<string, any>} */ (errors);
    for (const [position, rowErrors] of Object.entries(byRow)) {
      const row = rows.children[Number(position)];
      if (!row) {
        topError.textContent = [rowErrors].flat().join(" ");
        topError.hidden = false;
        continue;
      }
      const box = /** @type {HTMLElement} */ (row.querySelector("[data-testid=label-error]"));
      const messages = typeof rowErrors === "object" && !Array.isArray(rowErrors) ? rowErrors : {};
      for (const [fieldName, list] of Object.entries(messages)) {
        const testid = fieldNames[fieldName];
        const input = testid && row.querySelector(`[data-testid="${testid}"]`);
        if (input) input.setAttribute("aria-invalid", "true");
        for (const message of [list].flat()) box.append(h("div", {}, String(message)));
      }
      if (!box.children.length) box.append(h("div", {}, [rowErrors].flat().join(" ")));
      box.hidden = false;
    }
  };

  set(labels);
  return { element, set, read, showErrors, clearErrors };
}
