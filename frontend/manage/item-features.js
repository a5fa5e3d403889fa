// @ts-check
/**
 * The Items tab's pipeline-feature bar (managers): pick a feature a pipeline computed, sort by
 * it, bound it with min/max, and hand the annotators' queue out in that order. The filter lives
 * in the page's query string (`?feature=&order=&min=&max=#items`), so a link reproduces it.
 */

import { ApiError, featuresList, queuePriorityGet, queuePrioritySet } from "./api.js";
import { $, errorText, h, replace, say } from "./dom.js";

/** @typedef {import("./api.js").FeatureFilter} FeatureFilter */
/** @typedef {import("./api.js").QueuePriority} QueuePriority */

const FIELDS = /** @type {const} */ (["feature", "order", "min", "max"]);
const ORDER_TEXT = /** @type {Record<string, string>} */ ({
  desc: "highest first",
  asc: "lowest first",
});

/** A feature's value as a tile shows it: at most four significant digits. @param {number} value */
export function featureText(value) {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}

/** @param {QueuePriority} priority */
function priorityText(priority) {
  if (!priority.feature) return "Queue: default order";
  return `Queue: ${priority.feature}, ${ORDER_TEXT[priority.order] || priority.order}`;
}

/**
 * @param {{projectId: number, root: HTMLElement, onChange: () => void}} options
 */
export function featureBar({ projectId, root, onChange }) {
  const form = /** @type {HTMLFormElement} */ ($("[data-testid=feature-bar]", root));
  const none = $("[data-testid=features-none]", root);
  const errorBox = $("[data-testid=feature-error]", root);
  const result = $("[data-testid=queue-order-result]", root);
  const current = $("[data-testid=queue-order-current]", root);
  const select = /** @type {HTMLSelectElement} */ ($("[data-testid=items-feature]", form));
  const order = /** @type {HTMLSelectElement} */ ($("[data-testid=items-order]", form));
  const low = /** @type {HTMLInputElement} */ ($("[data-testid=items-min]", form));
  const high = /** @type {HTMLInputElement} */ ($("[data-testid=items-max]", form));
  const setQueue = /** @type {HTMLButtonElement} */ ($("[data-testid=queue-order-set]", form));
  const resetQueue = /** @type {HTMLButtonElement} */ ($("[data-testid=queue-order-reset]", form));
  const bounds = { min: low, max: high };
  /** @type {QueuePriority} */
  let priority = { feature: null, order: "desc" };

  /** The filter the controls say, or null when no feature is chosen. @returns {FeatureFilter | null} */
  const filter = () =>
    select.value
      ? { feature: select.value, order: order.value, min: low.value.trim(), max: high.value.trim() }
      : null;

  /** Mirror the filter into the page's URL, keeping the tab in the hash. */
  const remember = () => {
    const search = new URLSearchParams(location.search);
    const chosen = filter();
    for (const name of FIELDS) {
      const value = chosen ? chosen[name] : "";
      if (value) search.set(name, value);
      else search.delete(name);
    }
    const text = search.toString();
    history.replaceState(null, "", `${location.pathname}${text ? `?${text}` : ""}${location.hash}`);
  };

  const showPriority = () => {
    current.textContent = priorityText(priority);
    current.setAttribute("data-feature", priority.feature || "");
    current.setAttribute("data-order", priority.feature ? priority.order : "");
    resetQueue.disabled = !priority.feature;
    setQueue.disabled =
      !select.value || (priority.feature === select.value && priority.order === order.value);
  };

  /** @param {HTMLInputElement | null} input */
  const markInvalid = (input) => {
    for (const bound of [low, high]) bound.removeAttribute("aria-invalid");
    if (input) input.setAttribute("aria-invalid", "true");
  };

  /**
   * Shows a refusal of the filter beside the bar; false when the error is not the filter's.
   * @param {unknown} error
   */
  const showError = (error) => {
    if (!(error instanceof ApiError) || error.status !== 400 || !select.value) return false;
    const field = FIELDS.find((name) => error.errors[name] !== undefined);
    markInvalid(field === "min" || field === "max" ? bounds[field] : null);
    say(errorBox, error.messageFor(...FIELDS), "error");
    return true;
  };

  /** A bound the server would refuse or that empties the list, said before asking. */
  const checkBounds = () => {
    for (const [name, input] of Object.entries(bounds)) {
      const text = input.value.trim();
      if (text && !Number.isFinite(Number(text))) {
        markInvalid(input);
        say(errorBox, `${name === "min" ? "Min" : "Max"} must be a number, not “${text}”.`, "error");
        return false;
      }
    }
    if (low.value.trim() && high.value.trim() && Number(low.value) > Number(high.value)) {
      markInvalid(low);
      say(errorBox, "Min is above max: no item could match.", "error");
      return false;
    }
    markInvalid(null);
    say(errorBox, "");
    return true;
  };

  const apply = () => {
    if (!checkBounds()) return;
    remember();
    showPriority();
    onChange();
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    apply();
  });
  select.addEventListener("change", apply);
  order.addEventListener("change", apply);

  /** @param {QueuePriority} chosen */
  const putPriority = async (chosen) => {
    setQueue.disabled = resetQueue.disabled = true;
    try {
      priority = await queuePrioritySet(projectId, chosen);
      say(
        result,
        priority.feature
          ? `Annotators now get items by ${priority.feature}, ${ORDER_TEXT[priority.order]}.`
          : "Annotators get items in the default order again.",
        "ok",
      );
    } catch (error) {
      say(errorBox, `Could not set the queue order: ${errorText(error)}`, "error");
    } finally {
      showPriority();
    }
  };
  setQueue.addEventListener("click", () =>
    putPriority({ feature: select.value, order: order.value }),
  );
  resetQueue.addEventListener("click", () => putPriority({ feature: null, order: "desc" }));

  /** Fill the select and the queue order; take the filter from the URL. False: no features. */
  const init = async () => {
    let names;
    try {
      [names, priority] = await Promise.all([
        featuresList(projectId),
        queuePriorityGet(projectId),
      ]);
    } catch (error) {
      say(errorBox, `Could not read the features: ${errorText(error)}`, "error");
      return false;
    }
    none.hidden = names.length > 0;
    form.hidden = names.length === 0;
    replace(
      select,
      h("option", { value: "" }, "None (all items)"),
      names.map((name) => h("option", { value: name }, name)),
    );
    const asked = new URLSearchParams(location.search);
    const feature = asked.get("feature") || "";
    if (names.includes(feature)) {
      select.value = feature;
      order.value = asked.get("order") === "asc" ? "asc" : "desc";
      low.value = asked.get("min") || "";
      high.value = asked.get("max") || "";
      checkBounds();
    } else if (feature) {
      say(errorBox, `No feature named “${feature}” in this project; showing all items.`, "error");
    }
    showPriority();
    return names.length > 0;
  };

  return { filter, init, showError };
}
