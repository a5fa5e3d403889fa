// @ts-check
/** /projects/new/: create a project with its label schema, then open it. */

import { projectCreate } from "./api.js";
import { $, testHook } from "./dom.js";
import { projectForm } from "./project-form.js";

const hook = testHook();
const form = projectForm({
  submitText: "Create project",
  project: {
    overlap: 1,
    labels: [
      { name: "", color: "#e6194b", kind: "box", attributes: [], keypoints: [], skeleton: [] },
    ],
  },
  onSubmit: async (fields) => {
    const project = await projectCreate(fields);
    window.location.assign(`/projects/${project.id}/`);
    return "Created; opening the project…";
  },
});
$("#project-new").append(form.element);
/** @type {HTMLInputElement} */ ($("[data-testid=field-name]")).focus();
hook.ready = true;
