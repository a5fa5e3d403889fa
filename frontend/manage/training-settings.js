// @ts-check
/**
 * The settings card for training, the qualification exam and hidden gold: rates, exam size,
 * pass mark and retry delay, and the button that makes every annotator qualify again.
 */

import { ApiError, projectUpdate, qualificationReset } from "./api.js";
import { h, say } from "./dom.js";
import { whileDisabled } from "./panel.js";
import { field } from "./project-form.js";

/**
 * @typedef {{gold_rate: number, gold_rate_initial: number, gold_initial_items: number,
 *   exam_enabled: boolean, exam_items: number, exam_pass_accuracy: number,
 *   exam_retry_minutes: number}} TrainingSettings
 */

/**
 * @param {string} name @param {number} min @param {number} max @param {number} [step]
 * @returns {HTMLInputElement}
 */
const numberInput = (name, min, max, step = 1) =>
  h("input", { name, type: "number", min, max, step, required: true, testid: `field-${name}` });

/** Percent fields hold 0–100 in the form and 0–1 in the API. */
const PERCENT = new Set(["gold_rate", "gold_rate_initial", "exam_pass_accuracy"]);

/**
 * @param {{projectId: number, project: Partial<TrainingSettings>}} options
 * @returns {HTMLElement}
 */
export function trainingSettings({ projectId, project }) {
  const inputs = {
    gold_rate: numberInput("gold_rate", 0, 100, 0.5),
    gold_rate_initial: numberInput("gold_rate_initial", 0, 100, 0.5),
    gold_initial_items: numberInput("gold_initial_items", 0, 10000),
    exam_items: numberInput("exam_items", 1, 1000),
    exam_pass_accuracy: numberInput("exam_pass_accuracy", 0, 100, 1),
    exam_retry_minutes: numberInput("exam_retry_minutes", 0, 100000),
  };
  const examEnabled = h("input", { type: "checkbox", name: "exam_enabled", testid: "field-exam_enabled" });
  const fields = {
    gold_rate: field("Hidden gold rate (%)", inputs.gold_rate, "Share of real work that is hidden gold. 0 turns hidden gold off."),
    gold_rate_initial: field("Gold rate for first items (%)", inputs.gold_rate_initial),
    gold_initial_items: field("First items", inputs.gold_initial_items, "How many of a new annotator's first items use the higher rate."),
    exam_items: field("Exam items", inputs.exam_items),
    exam_pass_accuracy: field("Pass mark (% mean accuracy)", inputs.exam_pass_accuracy),
    exam_retry_minutes: field("Retry after (minutes)", inputs.exam_retry_minutes),
  };
  const status = h("p", { class: "ok", role: "status", testid: "training-saved", hidden: true });
  const error = h("p", { class: "error", role: "alert", testid: "training-error", hidden: true });

  /** @param {Partial<TrainingSettings>} next */
  const set = (next) => {
    for (const [name, input] of Object.entries(inputs)) {
      const value = /** @type {number} */ (next[/** @type {keyof TrainingSettings} */ (name)] ?? 0);
      input.value = String(PERCENT.has(name) ? Math.round(value * 1000) / 10 : value);
    }
    examEnabled.checked = Boolean(next.exam_enabled);
  };

  const form = h(
    "form",
    {
      class: "training-settings",
      testid: "training-settings",
      onsubmit: async (/** @type {Event} */ event) => {
        event.preventDefault();
        say(status, "");
        say(error, "");
        for (const entry of Object.values(fields)) say(entry.error, "");
        /** @type {Record<string, number | boolean>} */
        const body = { exam_enabled: examEnabled.checked };
        for (const [name, input] of Object.entries(inputs)) {
          body[name] = PERCENT.has(name) ? Number(input.value) / 100 : Number(input.value);
        }
        try {
          set(/** @type {any} */ (await projectUpdate(projectId, /** @type {any} */ (body))));
          say(status, "Saved.", "ok");
        } catch (failure) {
          if (!(failure instanceof ApiError)) throw failure;
          say(error, failure.detail, "error");
          for (const [name, entry] of Object.entries(fields)) {
            const messages = failure.errors[name];
            if (messages) say(entry.error, [messages].flat().join(" "), "error");
          }
        }
      },
    },
    h("h2", {}, "Training and quality"),
    h(
      "p",
      { class: "hint" },
      "Annotators go through the training items (with feedback) first. Where the exam is on, " +
        "they then label hidden gold items scored blind, and get real work only once they pass.",
    ),
    h("div", { class: "row" }, fields.gold_rate.wrapper, fields.gold_rate_initial.wrapper, fields.gold_initial_items.wrapper),
    h("label", { class: "checkbox" }, examEnabled, " Qualification exam before real work (where the project has training items)"),
    h("div", { class: "row" }, fields.exam_items.wrapper, fields.exam_pass_accuracy.wrapper, fields.exam_retry_minutes.wrapper),
    h("div", { class: "form-actions" }, h("button", { type: "submit", class: "button primary", testid: "training-save" }, "Save"), status, error),
    requalify(projectId),
  );
  set(project);
  return h("section", { class: "card" }, form);
}

/** @param {number} projectId */
function requalify(projectId) {
  const result = h("p", { class: "ok", role: "status", testid: "requalify-result", hidden: true });
  const button = h(
    "button",
    {
      type: "button",
      class: "button danger-outline",
      testid: "requalify",
      onclick: async () => {
        if (!window.confirm("Every annotator will have to pass the qualification exam again before real work. Continue?")) return;
        await whileDisabled(button, result, async () => {
          const { reset } = await qualificationReset(projectId);
          say(result, `Done: ${reset} annotator${reset === 1 ? "" : "s"} must qualify again.`, "ok");
        });
      },
    },
    "Require re-qualification",
  );
  return h(
    "div",
    { class: "danger-zone" },
    h("h3", {}, "Guidelines changed?"),
    h("p", { class: "hint" }, "Make every annotator sit the qualification exam again (on gold items they have not seen)."),
    button,
    result,
  );
}
