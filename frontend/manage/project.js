// @ts-check
/**
 * /projects/<id>/: guidelines for everyone; items, members, annotations and versions for
 * reviewers and managers; uploads, member changes, snapshots, tags and settings for managers. The server renders only the
 * panels the role may use, and the API enforces the same rules.
 */

import { ApiError, progressGet, projectGet, projectUpdate } from "./api.js";
import { documentsPanel } from "./documents.js";
import { $, errorText, h, jsonScript, plural, replace, say, testHook } from "./dom.js";
import { itemsGrid } from "./items.js";
import { renderMarkdown } from "./markdown.js";
import { membersPanel } from "./members.js";
import { projectForm } from "./project-form.js";
import { qualityPanel } from "./quality.js";
import { trainingSettings } from "./training-settings.js";
import { uploadPanel } from "./upload.js";
import { versionsPanel } from "./versions.js";

/** @typedef {import("./api.js").Project} Project */
/** @typedef {{projectId: number, role: string, username: string}} PageConfig */

const config = /** @type {PageConfig} */ (jsonScript("page-config"));
const hook = testHook();
const isManager = config.role === "manager";
const isStaff = isManager || config.role === "reviewer";

/** @param {string} source */
function showGuidelines(source) {
  const target = $("[data-testid=guidelines]");
  target.innerHTML = renderMarkdown(source); // escaped before any markup is added
  target.classList.remove("pre-wrap");
  target.hidden = !source.trim();
  $("[data-testid=guidelines-empty]").hidden = Boolean(source.trim());
}

/** @param {import("./api.js").LabelClass[]} labels */
function showClasses(labels) {
  const svg = "http://www.w3.org/2000/svg";
  const items = labels.map((label) => {
    const swatch = document.createElementNS(svg, "svg");
    swatch.setAttribute("class", "swatch");
    swatch.setAttribute("viewBox", "0 0 12 12");
    swatch.setAttribute("aria-hidden", "true");
    const rect = document.createElementNS(svg, "rect");
    const attributes = { width: "12", height: "12", rx: "3", fill: label.color };
    for (const [name, value] of Object.entries(attributes)) rect.setAttribute(name, value);
    swatch.append(rect);
    const details = [label.kind];
    if (label.attributes.length) details.push(plural(label.attributes.length, "attribute"));
    if (label.keypoints.length) details.push(`${label.keypoints.length} keypoints`);
    return h(
      "li",
      { testid: "class-item" },
      swatch,
      h("span", { class: "class-name" }, label.name),
      h("span", { class: "muted small" }, details.join(" · ")),
    );
  });
  replace(
    $("[data-testid=class-list]"),
    items.length ? items : h("li", { class: "empty small" }, "No label classes yet."),
  );
}

/** @param {Project} project */
function showHeader(project) {
  $("[data-testid=project-name]").textContent = project.name;
  const crumb = document.querySelector(".crumbs .current");
  if (crumb) crumb.textContent = project.name;
  document.title = `${project.name} · Loupe`;
  say(/** @type {HTMLElement} */ ($("[data-testid=project-description]")), project.description);
  $("[data-testid=overlap-meta]").textContent = `${plural(project.overlap, "annotator")} per item`;
}

/** Done / total task items in the page head (reviewers and managers). */
async function showProgress() {
  const target = $("[data-testid=project-progress]");
  try {
    const { done, total } = await progressGet(config.projectId);
    $(".progress-text", target).textContent = `${done} / ${total} done`;
    const bar = /** @type {HTMLProgressElement} */ ($("progress", target));
    bar.max = Math.max(total, 1);
    bar.value = done;
    target.hidden = false;
  } catch {
    target.hidden = true; // the figures are a convenience: the page works without them
  }
}

// --- tabs -------------------------------------------------------------------------------------

/** @type {Record<string, () => void>} */
const onFirstShow = {};
const shown = new Set();

/** @param {string} name */
function showTab(name) {
  const panels = Array.from(document.querySelectorAll("[data-panel]"));
  if (!panels.some((panel) => /** @type {HTMLElement} */ (panel).dataset.panel === name)) {
    name = "overview";
  }
  for (const panel of panels) {
    const element = /** @type {HTMLElement} */ (panel);
    element.hidden = element.dataset.panel !== name;
  }
  for (const tab of document.querySelectorAll("[data-tab]")) {
    const active = /** @type {HTMLElement} */ (tab).dataset.tab === name;
    tab.classList.toggle("active", active);
    tab.setAttribute("aria-selected", String(active));
  }
  if (!shown.has(name)) {
    shown.add(name);
    onFirstShow[name]?.();
  }
}

for (const tab of document.querySelectorAll("[data-tab]")) {
  tab.addEventListener("click", (event) => {
    event.preventDefault();
    const name = /** @type {HTMLElement} */ (tab).dataset.tab || "overview";
    history.replaceState(null, "", name === "overview" ? location.pathname : `#${name}`);
    showTab(name);
  });
}
window.addEventListener("hashchange", () => showTab(location.hash.slice(1)));

// --- panels -----------------------------------------------------------------------------------

const guidelinesSource = $("[data-testid=guidelines]").textContent || "";
showGuidelines(guidelinesSource);

if (isStaff) {
  const documents = documentsPanel({
    projectId: config.projectId,
    root: $("[data-testid=documents-panel]"),
  });
  documents.load();
  showProgress();
  if (isManager) {
    const quality = qualityPanel({
      projectId: config.projectId,
      root: $("#quality"),
      showAnnotations: (username) => {
        history.replaceState(null, "", location.pathname);
        showTab("overview");
        documents.byAnnotator(username);
      },
    });
    onFirstShow.quality = () => quality.load();
  }

  const itemsRoot = $("#items");
  const items = itemsGrid({
    projectId: config.projectId,
    root: itemsRoot,
    canUpload: isManager,
    canFilter: isManager,
  });
  onFirstShow.items = () => items.load(1);
  hook.reloadItems = () => items.load();
  if (isManager) {
    const total = $("[data-testid=item-total]");
    uploadPanel({
      projectId: config.projectId,
      root: $("[data-testid=upload-panel]"),
      onUploaded: async () => {
        const listed = await items.load();
        if (listed && !listed.role) total.textContent = plural(listed.count, "item");
      },
    });
  }

  const members = membersPanel({
    projectId: config.projectId,
    root: $("#members"),
    canManage: isManager,
    username: config.username,
  });
  onFirstShow.members = () => members.load();

  const versions = versionsPanel({
    projectId: config.projectId,
    root: $("#versions"),
    canManage: isManager,
    hook,
  });
  onFirstShow.versions = () => versions.load();
}

if (isManager) {
  onFirstShow.settings = async () => {
    const panel = $("#settings");
    try {
      const project = await projectGet(config.projectId);
      const form = projectForm({
        project,
        submitText: "Save changes",
        onSubmit: async (fields) => {
          let saved;
          try {
            saved = await projectUpdate(config.projectId, fields);
          } catch (error) {
            // A class that still has shapes: the server says how many; deleting them is a choice.
            if (!(error instanceof ApiError && error.status === 409 && fields.labels)) throw error;
            if (!window.confirm(`${error.detail}\n\nDelete the class and remove those shapes?`)) {
              return "Nothing was changed.";
            }
            saved = await projectUpdate(config.projectId, { ...fields, delete_in_use: true });
          }
          form.set(saved);
          showHeader(saved);
          showGuidelines(saved.guidelines);
          showClasses(saved.labels);
          return "Saved.";
        },
      });
      replace(panel, form.element, trainingSettings({ projectId: config.projectId, project: /** @type {any} */ (project) }));
    } catch (error) {
      replace(panel, h("p", { class: "error" }, `Could not load the project: ${errorText(error)}`));
    }
  };
}

showTab(location.hash.slice(1));
hook.ready = true;
