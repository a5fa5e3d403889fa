// @ts-check
/**
 * The Versions tab: snapshot the project (managers), list its immutable versions with their
 * stats and tags, export any version (reviewers and managers) and open the diff of two.
 * Snapshots and exports are jobs: a progress bar follows each until it succeeds or fails.
 */

import {
  ApiError,
  versionExport,
  versionSnapshot,
  versionsList,
  versionTagDelete,
  versionTagGet,
  versionTagSet,
} from "./api.js";
import { $, errorText, formatTime, h, plural, replace, say } from "./dom.js";
import { jobProgress, watchJob } from "./jobs.js";
import { formatBytes } from "./upload.js";

/** @typedef {import("./api.js").Version} Version */
/** @typedef {import("./api.js").Job} Job */

export const EXPORT_FORMATS = [
  { name: "coco", title: "COCO", hint: "JSON: boxes, polygons, RLE masks, keypoints" },
  { name: "voc", title: "Pascal VOC", hint: "zip of XML files per image" },
  { name: "yolo", title: "YOLO", hint: "zip in the Ultralytics layout, with data.yaml" },
  { name: "jsonl", title: "JSONL", hint: "Loupe's own, lossless" },
  { name: "parquet", title: "Parquet", hint: "zip of tables (items, shapes, attributes) for DuckDB, pandas" },
];
const PAGE_SIZE = 100;

/** @param {string} id */
export const shortId = (id) => id.slice(0, 12);

/**
 * @param {{projectId: number, root: HTMLElement, canManage: boolean,
 *   hook: Record<string, unknown>}} options
 * @returns {{load: () => Promise<void>}}
 */
export function versionsPanel({ projectId, root, canManage, hook }) {
  const list = $("[data-testid=version-list]", root);
  const count = $("[data-testid=versions-count]", root);
  const empty = $("[data-testid=versions-empty]", root);
  const listError = $("[data-testid=versions-error]", root);
  /** @type {Version[]} */
  let versions = [];
  let total = 0; // versions in the project; more than listed when it has over PAGE_SIZE
  /** @type {string | null} */
  let highlighted = null;

  // Jobs and results survive a re-render of the list: they hang off the version id.
  /** @type {Map<string, HTMLElement>} */
  const exportAreas = new Map();

  /** @param {string} id */
  const exportArea = (id) => {
    let area = exportAreas.get(id);
    if (!area) {
      area = h("div", { class: "version-exports", testid: "version-exports" });
      exportAreas.set(id, area);
    }
    return area;
  };

  /** @param {Version} version @param {string} format */
  const startExport = async (version, format) => {
    const title = EXPORT_FORMATS.find((entry) => entry.name === format)?.title || format;
    const area = exportArea(version.id);
    const progress = jobProgress(`${title} export`);
    const entry = h("div", { class: "export-entry", testid: "export-entry", "data-format": format });
    entry.append(progress.element);
    area.prepend(entry);
    try {
      const job = await watchJob(await versionExport(version.id, format), {
        onUpdate: progress.update,
      });
      if (job.status === "failed") {
        entry.append(h("p", { class: "error", testid: "export-error" }, job.error));
        return;
      }
      const result = job.result || {};
      entry.append(
        h(
          "div",
          { class: "export-result", testid: "export-result" },
          h(
            "a",
            {
              class: "button small primary",
              href: result.download,
              download: result.file_name || "",
              title: result.file_name || "",
              testid: "export-download",
            },
            `Download ${title}`,
          ),
          h("span", { class: "muted small" }, formatBytes(result.size || 0)),
          h(
            "span",
            { class: "sha small" },
            h("span", { class: "muted" }, "SHA-256 "),
            h("code", { testid: "export-sha256", title: "SHA-256 of the file" }, result.sha256),
          ),
          copyButton(result.sha256, "Copy the SHA-256"),
        ),
      );
    } catch (error) {
      if (error instanceof DOMException && error.name === "AbortError") return;
      progress.fail(errorText(error));
      entry.append(h("p", { class: "error", testid: "export-error" }, errorText(error)));
    }
  };

  // An open export menu closes on a click anywhere else, as menus do.
  document.addEventListener("click", (event) => {
    for (const menu of root.querySelectorAll("details.menu[open]")) {
      if (!menu.contains(/** @type {Node} */ (event.target))) menu.removeAttribute("open");
    }
  });

  /** @param {Version} version */
  const exportMenu = (version) => {
    const menu = h(
      "details",
      { class: "menu", testid: "export-menu" },
      h("summary", { class: "button small", testid: "export-toggle" }, "Export ▾"),
      h(
        "div",
        { class: "menu-list", role: "menu" },
        EXPORT_FORMATS.map((format) =>
          h(
            "button",
            {
              type: "button",
              role: "menuitem",
              class: "menu-item",
              testid: `export-${format.name}`,
              onclick: () => {
                menu.open = false;
                startExport(version, format.name);
              },
            },
            h("span", { class: "menu-item-title" }, format.title),
            h("span", { class: "menu-item-hint" }, format.hint),
          ),
        ),
      ),
    );
    return menu;
  };

  /** @param {Version} version */
  const compareSelect = (version) => {
    const others = versions.filter((other) => other.id !== version.id);
    if (!others.length) return null;
    return h(
      "select",
      {
        class: "compare",
        testid: "compare-select",
        "aria-label": `Compare ${shortId(version.id)} with another version`,
        onchange: (/** @type {Event} */ event) => {
          const otherId = /** @type {HTMLSelectElement} */ (event.target).value;
          const other = versions.find((candidate) => candidate.id === otherId);
          if (!other) return;
          // The diff reads from the older version to the newer one, whichever was chosen.
          const [older, newer] =
            other.created_at <= version.created_at ? [other, version] : [version, other];
          location.assign(
            `/versions/${encodeURIComponent(newer.id)}/diff/?against=${encodeURIComponent(older.id)}`,
          );
        },
      },
      h("option", { value: "", selected: true }, "Compare with…"),
      others.map((other) =>
        h(
          "option",
          { value: other.id },
          `${shortId(other.id)}${other.tags.length ? ` [${other.tags.join(", ")}]` : ""}${
            other.message ? ` · ${other.message}` : ""
          }`,
        ),
      ),
    );
  };

  /** @param {Version} version @param {string} name */
  const tagChip = (version, name) =>
    h(
      "span",
      { class: canManage ? "tag-chip removable" : "tag-chip", testid: "version-tag", "data-tag": name },
      name,
      canManage
        ? h(
            "button",
            {
              type: "button",
              class: "tag-remove",
              testid: "tag-remove",
              "aria-label": `Remove tag ${name}`,
              title: `Remove tag ${name}`,
              onclick: async () => {
                if (!window.confirm(`Remove the tag "${name}" from ${shortId(version.id)}?`)) {
                  return;
                }
                try {
                  await versionTagDelete(projectId, name);
                  version.tags = version.tags.filter((tag) => tag !== name);
                  render();
                } catch (error) {
                  say(listError, errorText(error), "error");
                }
              },
            },
            "×",
          )
        : null,
    );

  /** @param {Version} version */
  const tagForm = (version) => {
    const input = h("input", {
      name: "tag",
      placeholder: "tag, e.g. production",
      autocomplete: "off",
      required: true,
      pattern: "[A-Za-z0-9][A-Za-z0-9._\\-]{0,99}",
      testid: "tag-input",
      "aria-label": `New tag for ${shortId(version.id)}`,
    });
    const error = h("span", { class: "field-error", testid: "tag-error", hidden: true });
    const form = h(
      "form",
      {
        class: "tag-form",
        testid: "tag-form",
        hidden: true,
        onsubmit: async (/** @type {Event} */ event) => {
          event.preventDefault();
          const name = input.value.trim();
          if (!name) return;
          const holder = versions.find((other) => other.tags.includes(name));
          if (holder === version) {
            form.hidden = true;
            return;
          }
          try {
            // An older version beyond the listed page may hold it: ask the server then.
            const elsewhere = holder
              ? holder.id
              : total > versions.length
                ? (await versionTagGet(projectId, name))?.version
                : undefined;
            const question = `The tag "${name}" points to version ${shortId(
              elsewhere || "",
            )}. Move it to ${shortId(version.id)}?`;
            if (elsewhere && !window.confirm(question)) return;
            await versionTagSet(projectId, name, version.id);
            if (holder) holder.tags = holder.tags.filter((tag) => tag !== name);
            version.tags = [...version.tags, name].sort();
            render();
          } catch (failure) {
            const message =
              failure instanceof ApiError ? failure.messageFor("name", "version") : null;
            say(error, message || errorText(failure), "error");
          }
        },
      },
      input,
      h("button", { type: "submit", class: "button small", testid: "tag-save" }, "Tag"),
      error,
    );
    return form;
  };

  /** @param {Version} version */
  const row = (version) => {
    const stats = version.stats || { items: 0, shapes: 0 };
    const form = canManage ? tagForm(version) : null;
    const addTag = canManage
      ? h(
          "button",
          {
            type: "button",
            class: "link small",
            testid: "tag-add",
            onclick: () => {
              if (!form) return;
              form.hidden = !form.hidden;
              if (!form.hidden) /** @type {HTMLInputElement} */ ($("input", form)).focus();
            },
          },
          "+ tag",
        )
      : null;
    return h(
      "li",
      {
        class: `version${version.id === highlighted ? " highlighted" : ""}`,
        testid: "version-row",
        "data-version-id": version.id,
      },
      h(
        "div",
        { class: "version-main" },
        h(
          "div",
          { class: "version-title" },
          h("code", { class: "version-id", testid: "version-id", title: version.id }, shortId(version.id)),
          copyButton(version.id, "Copy the full version id"),
          h(
            "span",
            { class: `version-message${version.message ? "" : " muted"}`, testid: "version-message" },
            version.message || "No message",
          ),
          h(
            "span",
            { class: "version-tags", testid: "version-tags" },
            version.tags.map((name) => tagChip(version, name)),
            addTag,
          ),
        ),
        h(
          "div",
          { class: "version-meta muted small" },
          h("span", { testid: "version-author" }, version.author || "unknown"),
          h("span", { testid: "version-created" }, formatTime(version.created_at)),
          h("span", { testid: "version-items" }, plural(stats.items, "item")),
          h("span", { testid: "version-shapes" }, plural(stats.shapes, "shape")),
          h("span", {}, version.source === "submitted" ? "submitted work" : "accepted work"),
        ),
        form,
      ),
      h(
        "div",
        { class: "version-actions" },
        exportMenu(version),
        compareSelect(version),
        h(
          "a",
          {
            class: "button small",
            href: `/versions/${encodeURIComponent(version.id)}/query/`,
            testid: "version-query",
            title: "SQL over this version's items, shapes and pipeline features",
          },
          "Query",
        ),
      ),
      exportArea(version.id),
    );
  };

  const render = () => {
    count.textContent = total ? String(total) : "";
    replace(list, versions.map(row));
    say(
      empty,
      versions.length
        ? ""
        : `No versions yet.${canManage ? " Snapshot the project to freeze what is labeled now." : ""}`,
    );
    hook.versions = versions.map((version) => ({ id: version.id, tags: [...version.tags] }));
  };

  const load = async () => {
    try {
      const page = await versionsList(projectId, { pageSize: PAGE_SIZE });
      versions = page.results;
      total = page.count;
      say(listError, "");
      render();
    } catch (error) {
      say(listError, `Could not load versions: ${errorText(error)}`, "error");
    }
  };

  if (canManage) {
    snapshotForm({
      projectId,
      root,
      onDone: async (versionId) => {
        highlighted = versionId; // the new version, or the one the same content already has
        await load();
      },
    });
  }

  return { load };
}

/**
 * @param {{projectId: number, root: HTMLElement,
 *   onDone: (versionId: string) => Promise<void>}} options
 */
function snapshotForm({ projectId, root, onDone }) {
  const form = /** @type {HTMLFormElement} */ ($("[data-testid=snapshot-form]", root));
  const message = /** @type {HTMLInputElement} */ ($("[data-testid=snapshot-message]", form));
  const source = /** @type {HTMLSelectElement} */ ($("[data-testid=snapshot-source]", form));
  const button = /** @type {HTMLButtonElement} */ ($("[data-testid=snapshot-button]", form));
  const jobs = $("[data-testid=snapshot-jobs]", root);
  const result = $("[data-testid=snapshot-result]", root);
  const errorBox = $("[data-testid=snapshot-error]", root);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    say(result, "");
    say(errorBox, "");
    const progress = jobProgress("Snapshot");
    replace(jobs, progress.element);
    try {
      const job = await watchJob(
        await versionSnapshot(projectId, { message: message.value.trim(), source: source.value }),
        { onUpdate: progress.update },
      );
      if (job.status === "failed") {
        say(errorBox, `The snapshot failed: ${job.error}`, "error");
        return;
      }
      const { version, created, items } = job.result || {};
      await onDone(version); // the list first: the message then describes what is shown
      if (created) {
        say(result, `Created version ${shortId(version)} · ${plural(items, "item")}.`, "ok");
        message.value = "";
      } else {
        say(result, `No change: same as version ${shortId(version)}.`, "");
      }
    } catch (error) {
      if (error instanceof DOMException && error.name === "AbortError") return;
      progress.fail(errorText(error));
      say(errorBox, errorText(error), "error");
    } finally {
      button.disabled = false;
    }
  });
}

/**
 * A small "copy" button; says "Copied" for a moment.
 * @param {string} text
 * @param {string} label
 */
function copyButton(text, label) {
  const button = h(
    "button",
    {
      type: "button",
      class: "copy",
      testid: "copy",
      title: label,
      "aria-label": label,
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(text);
          button.textContent = "Copied";
        } catch {
          button.textContent = "Copy failed";
        }
        setTimeout(() => {
          button.textContent = "Copy";
        }, 1500);
      },
    },
    "Copy",
  );
  return button;
}
