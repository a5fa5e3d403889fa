// @ts-check
/**
 * The project form: details, guidelines (Markdown with a preview) and the label-schema editor.
 * The new-project page creates with it; the project page's settings tab updates with it.
 */

import { ApiError } from "./api.js";
import { h, say } from "./dom.js";
import { labelEditor } from "./label-editor.js";
import { renderMarkdown } from "./markdown.js";

/** @typedef {import("./api.js").Project} Project */
/** @typedef {import("./api.js").ProjectFields} ProjectFields */

/**
 * @param {string} label
 * @param {HTMLElement} control
 * @param {string} [hint]
 */
export function field(label, control, hint) {
  const error = h("p", { class: "field-error", hidden: true });
  const wrapper = h("div", { class: "field" }, h("label", {}, label, control));
  if (hint) wrapper.append(h("p", { class: "hint" }, hint));
  wrapper.append(error);
  return { wrapper, error };
}

/**
 * @param {{
 *   project?: Partial<Project>,
 *   submitText: string,
 *   onSubmit: (fields: Required<ProjectFields>) => Promise<string | void>,
 * }} options  onSubmit resolves to a success message (or navigates away) and may throw ApiError
 * @returns {{element: HTMLFormElement, set: (project: Partial<Project>) => void}}
 */
export function projectForm({ project = {}, submitText, onSubmit }) {
  const name = h("input", {
    name: "name",
    testid: "field-name",
    required: true,
    maxLength: 200,
    autocomplete: "off",
    placeholder: "e.g. Street scenes 2024",
  });
  const description = h("textarea", {
    name: "description",
    testid: "field-description",
    rows: 2,
    placeholder: "What this dataset is for (shown to the team)",
  });
  const overlap = h("input", {
    name: "overlap",
    type: "number",
    testid: "field-overlap",
    min: 1,
    max: 50,
    step: 1,
    required: true,
    value: "1",
  });
  const guidelines = h("textarea", {
    name: "guidelines",
    testid: "field-guidelines",
    rows: 10,
    class: "mono",
    placeholder:
      "# What to label\n\nDraw a **tight box** around every car, including partly hidden ones." +
      "\n\n- Ignore reflections\n- Tag *night* when the street lights are on",
  });
  const preview = h("div", {
    class: "markdown preview",
    testid: "guidelines-preview",
    hidden: true,
  });
  const previewToggle = h(
    "button",
    {
      type: "button",
      class: "link small",
      testid: "guidelines-preview-toggle",
      onclick: () => {
        const showing = preview.hidden;
        preview.innerHTML = showing
          ? renderMarkdown(guidelines.value) || "<p class=\"muted\">Nothing to preview.</p>"
          : "";
        preview.hidden = !showing;
        guidelines.hidden = showing;
        previewToggle.textContent = showing ? "Edit" : "Preview";
      },
    },
    "Preview",
  );
  const labels = labelEditor({ emptyText: "No label classes yet: add at least one." });

  const fields = {
    name: field("Name", name),
    description: field("Description", description),
    overlap: field(
      "Annotators per item",
      overlap,
      "How many different annotators label each task item (1–50). " +
        "More than 1 gives agreement figures.",
    ),
    guidelines: field(
      "What annotators read before they start",
      guidelines,
      "Markdown: # headings, **bold**, *italic*, `code`, - lists, [links](https://…), " +
        "![images](/…).",
    ),
  };
  const guidelinesLabel = fields.guidelines.wrapper.querySelector("label");
  guidelinesLabel?.after(preview);
  fields.guidelines.wrapper.prepend(h("div", { class: "field-tools" }, previewToggle));

  const formError = h("p", { class: "error", role: "alert", testid: "form-error", hidden: true });
  const status = h("p", { class: "ok", role: "status", testid: "form-saved", hidden: true });
  const submit = h(
    "button",
    { type: "submit", class: "button primary", testid: "project-submit" },
    submitText,
  );

  const element = h(
    "form",
    { class: "project-form", testid: "project-form" },
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Details"),
      fields.name.wrapper,
      fields.description.wrapper,
      fields.overlap.wrapper,
    ),
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Label classes"),
      h(
        "p",
        { class: "hint" },
        "What annotators draw or tag. Attributes add per-shape details (e.g. a select of poses).",
      ),
      labels.element,
    ),
    h("section", { class: "card" }, h("h2", {}, "Guidelines"), fields.guidelines.wrapper),
    h("div", { class: "form-actions" }, submit, formError, status),
  );

  const clearErrors = () => {
    say(formError, "");
    for (const entry of Object.values(fields)) say(entry.error, "");
    for (const node of element.querySelectorAll(".field > label > [aria-invalid]")) {
      node.removeAttribute("aria-invalid");
    }
    labels.clearErrors();
  };

  /** @param {string} detail @param {Record<string, any>} errors */
  const showErrors = (detail, errors) => {
    say(formError, detail, "error");
    for (const [key, entry] of Object.entries(fields)) {
      const messages = errors[key];
      if (!messages) continue;
      say(entry.error, [messages].flat().join(" "), "error");
      entry.wrapper.querySelector("input, textarea")?.setAttribute("aria-invalid", "true");
    }
    if (errors.labels) labels.showErrors(errors.labels);
  };

  element.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    say(status, "");
    const schema = labels.read();
    if (schema.errors) {
      showErrors("Fix the label classes marked below.", { labels: schema.errors });
      return;
    }
    submit.disabled = true;
    try {
      const message = await onSubmit({
        name: name.value.trim(),
        description: description.value,
        guidelines: guidelines.value,
        overlap: Number(overlap.value),
        labels: schema.labels,
      });
      if (message) say(status, message, "ok");
    } catch (error) {
      if (error instanceof ApiError) showErrors(error.detail, error.errors);
      else showErrors(String(error), {});
    } finally {
      submit.disabled = false;
    }
  });

  /** @param {Partial<Project>} next */
  const set = (next) => {
    name.value = next.name ?? "";
    description.value = next.description ?? "";
    guidelines.value = next.guidelines ?? "";
    overlap.value = String(next.overlap ?? 1);
    labels.set(next.labels ?? []);
  };
  set(project);
  return { element, set };
}
