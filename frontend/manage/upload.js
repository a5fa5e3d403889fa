// @ts-check
/**
 * The upload panel: images go up in batches (several files per request, so a thousand photos
 * are not a thousand requests, yet one progress bar never covers hundreds of megabytes); each
 * zip goes up alone as `archive`. Batches run one after another so the server validates and
 * stores a bounded amount at a time.
 */

import { ApiError, itemsUpload } from "./api.js";
import { $, h, plural, say } from "./dom.js";

/** @typedef {import("./api.js").Item} Item */
/** @typedef {import("./api.js").UploadReport} UploadReport */

export const BATCH_MAX_FILES = 20;
export const BATCH_MAX_BYTES = 50 * 1024 * 1024;

/** @param {File} file */
function isZip(file) {
  return /\.zip$/i.test(file.name) || /zip/.test(file.type);
}

/** @param {number} bytes */
export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GB`;
}

/**
 * Group files into requests: every zip alone, images up to BATCH_MAX_FILES / BATCH_MAX_BYTES.
 * @param {File[]} files
 * @returns {{files: File[], archive?: File, bytes: number}[]}
 */
export function planBatches(files) {
  /** @type {{files: File[], archive?: File, bytes: number}[]} */
  const batches = [];
  /** @type {{files: File[], bytes: number} | null} */
  let current = null;
  for (const file of files) {
    if (isZip(file)) {
      batches.push({ files: [], archive: file, bytes: file.size });
      continue;
    }
    if (
      !current ||
      current.files.length >= BATCH_MAX_FILES ||
      (current.files.length > 0 && current.bytes + file.size > BATCH_MAX_BYTES)
    ) {
      current = { files: [], bytes: 0 };
      batches.push(current);
    }
    current.files.push(file);
    current.bytes += file.size;
  }
  return batches;
}

/**
 * The message of a refused upload: one line per refused file, without the form-field prefix.
 * @param {unknown} error
 */
function uploadMessage(error) {
  if (!(error instanceof ApiError)) return String(error);
  const messages = [error.errors.file].flat().filter((line) => typeof line === "string");
  return messages.length ? messages.join("\n") : error.messageFor("file", "archive");
}

/**
 * "Uploaded 9 images; refused fake.png: not an image …", one line per refused file.
 * @param {number} created
 * @param {number} duplicates
 * @param {{name: string, reason: string}[]} refused
 */
export function uploadSummary(created, duplicates, refused) {
  const present = duplicates ? `, ${duplicates} already present` : "";
  const lines = refused.map(({ name, reason }) => `refused ${name}: ${reason}`);
  const head = `Uploaded ${plural(created, "image")}${present}`;
  return lines.length ? `${head}; ${lines.join("\n")}` : head;
}

/**
 * @param {{projectId: number, root: HTMLElement, onUploaded: (items: Item[]) => void}} options
 */
export function uploadPanel({ projectId, root, onUploaded }) {
  const form = /** @type {HTMLFormElement} */ ($("[data-testid=upload-form]", root));
  const input = /** @type {HTMLInputElement} */ ($("[data-testid=upload-input]", root));
  const role = /** @type {HTMLSelectElement} */ ($("[data-testid=upload-role]", root));
  const button = /** @type {HTMLButtonElement} */ ($("[data-testid=upload-button]", root));
  const selection = $("[data-testid=upload-selection]", root);
  const dropzone = $("[data-testid=dropzone]", root);
  const batchList = $("[data-testid=upload-batches]", root);
  const result = $("[data-testid=upload-result]", root);
  const errorBox = $("[data-testid=upload-error]", root);
  const hintText = selection.textContent || "";
  let busy = false;

  const describeSelection = () => {
    const files = Array.from(input.files || []);
    button.disabled = busy || files.length === 0;
    if (!files.length) {
      selection.textContent = hintText;
      return;
    }
    const zips = files.filter(isZip).length;
    const images = files.length - zips;
    const bytes = files.reduce((sum, file) => sum + file.size, 0);
    const parts = [images ? plural(images, "image") : "", zips ? plural(zips, "zip") : ""];
    const what = parts.filter(Boolean).join(" and ");
    selection.textContent = `${what} selected · ${formatBytes(bytes)}`;
  };
  input.addEventListener("change", describeSelection);

  for (const type of ["dragenter", "dragover"]) {
    dropzone.addEventListener(type, (event) => {
      event.preventDefault();
      dropzone.classList.add("dragging");
    });
  }
  for (const type of ["dragleave", "drop"]) {
    dropzone.addEventListener(type, () => dropzone.classList.remove("dragging"));
  }
  dropzone.addEventListener("drop", (event) => {
    event.preventDefault();
    const dropped = /** @type {DragEvent} */ (event).dataTransfer?.files;
    if (dropped && dropped.length) {
      input.files = dropped;
      describeSelection();
    }
  });

  /** @param {{files: File[], archive?: File, bytes: number}} batch */
  const batchRow = (batch) => {
    const fill = h("span", { class: "bar-fill" });
    const state = h("span", { class: "batch-state" }, "Waiting");
    const label = batch.archive
      ? batch.archive.name
      : batch.files.length === 1
        ? batch.files[0].name
        : plural(batch.files.length, "image");
    const row = h(
      "li",
      {
        class: "batch",
        testid: "upload-progress",
        role: "progressbar",
        "aria-valuemin": 0,
        "aria-valuemax": 100,
        "aria-valuenow": 0,
        "aria-label": `Upload of ${label}`,
      },
      h(
        "span",
        { class: "batch-label", title: label },
        label,
        h("span", { class: "muted" }, ` · ${formatBytes(batch.bytes)}`),
      ),
      h("span", { class: "bar" }, fill),
      state,
    );
    batchList.append(row);
    /** @param {number} percent @param {string} text @param {string} [kind] */
    const update = (percent, text, kind = "") => {
      fill.style.width = `${percent}%`; // CSSOM: allowed by the CSP, unlike a style attribute
      row.setAttribute("aria-valuenow", String(Math.round(percent)));
      state.textContent = text;
      row.classList.toggle("done", kind === "done");
      row.classList.toggle("failed", kind === "failed");
    };
    return update;
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const files = Array.from(input.files || []);
    if (!files.length || busy) return;
    busy = true;
    button.disabled = true;
    input.disabled = true;
    batchList.replaceChildren();
    say(result, "");
    say(errorBox, "");
    const batches = planBatches(files);
    const updates = batches.map(batchRow);
    let created = 0;
    let duplicates = 0;
    /** @type {{name: string, reason: string}[]} */
    const refused = [];
    /** @type {string[]} */
    const failures = [];
    for (const [index, batch] of batches.entries()) {
      const update = updates[index];
      update(0, "Uploading…");
      try {
        const report = await itemsUpload(
          projectId,
          { files: batch.files, archive: batch.archive, role: role.value },
          (sent, total) => {
            // The last bytes leave before the server has validated and stored: hold at 99%.
            const percent = Math.min(99, (sent / total) * 100);
            update(percent, percent >= 99 ? "Processing…" : `${Math.round(percent)}%`);
          },
        );
        created += report.created;
        duplicates += report.duplicates;
        refused.push(...report.refused);
        const skipped = report.refused.length ? `, ${report.refused.length} refused` : "";
        update(100, `Done · ${plural(report.items.length, "image")}${skipped}`, "done");
        onUploaded(report.items);
      } catch (error) {
        const message = uploadMessage(error);
        failures.push(batches.length > 1 ? `Batch ${index + 1}: ${message}` : message);
        update(100, "Failed", "failed");
      }
    }
    const stored = created || duplicates || !failures.length;
    if (stored) say(result, uploadSummary(created, duplicates, refused), "ok");
    if (failures.length) say(errorBox, failures.join("\n"), "error");
    busy = false;
    input.disabled = false;
    input.value = "";
    describeSelection();
  });
}
