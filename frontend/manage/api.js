// @ts-check
/**
 * The manager pages' only network module: every request to the v1 API goes through here.
 *
 * Requests ride on the session cookie; unsafe methods carry the CSRF token Django set in the
 * `csrftoken` cookie (every page renders a form with {% csrf_token %}, so the cookie exists).
 */

const API_ROOT = "/api/v1/";

/**
 * @typedef {{name: string, type: string, values: string[], default: unknown}} Attribute
 * @typedef {{id?: string, name: string, color: string, kind: string, attributes: Attribute[],
 *   keypoints: string[], skeleton: number[][], group?: string | null,
 *   group_choice?: string | null}} LabelClass
 * @typedef {{id: number, name: string, description: string, guidelines: string,
 *   labels: LabelClass[], overlap: number, item_count?: number, my_role: string | null}} Project
 * @typedef {{name?: string, description?: string, guidelines?: string, overlap?: number,
 *   labels?: LabelClass[]}} ProjectFields
 * @typedef {{sha256: string, width: number, height: number, size: number, mime: string}} Asset
 * @typedef {{id: number, name: string, role?: string, split: string, asset: Asset,
 *   thumbnail_url: string, image_url: string, feature?: number}} Item
 * @typedef {{user_id: number, username: string, role: string}} Member
 * @typedef {{items: Item[], created: number, duplicates: number,
 *   refused: {name: string, reason: string}[]}} UploadReport
 * @typedef {{id: number, item: number, item_name: string, annotator: string, kind: string,
 *   status: string, version: number, shapes: unknown[], updated_at: string | null,
 *   submitted_at: string | null}} AnnotationDocument
 */

/**
 * @template T
 * @typedef {{count: number, next: string | null, previous: string | null, results: T[]}} Page
 */

/** An API refusal: `detail` is the server's one-line message, `errors` its field errors. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} detail
   * @param {Record<string, unknown>} [errors]
   */
  constructor(status, detail, errors = {}) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
    this.errors = errors;
  }

  /**
   * The first message about one of `fields`, without the "field: " prefix that `detail`
   * carries; `detail` when the server said nothing about them.
   * @param {...string} fields
   * @returns {string}
   */
  messageFor(...fields) {
    for (const field of fields) {
      const message = [this.errors[field]].flat().find((item) => typeof item === "string");
      if (typeof message === "string") return message;
    }
    return this.detail;
  }
}

/** @returns {string} */
export function csrfToken() {
  for (const part of document.cookie.split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === "csrftoken") return decodeURIComponent(value.join("="));
  }
  // The logout form's hidden field holds the same token when the cookie is unreadable.
  const field = /** @type {HTMLInputElement | null} */ (
    document.querySelector("input[name=csrfmiddlewaretoken]")
  );
  return field ? field.value : "";
}

/**
 * Turn a failed response's body into an ApiError with the most useful message available.
 * @param {number} status
 * @param {string} text
 * @returns {ApiError}
 */
function errorFrom(status, text) {
  /** @type {any} */
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (body && typeof body === "object" && typeof body.detail === "string") {
    return new ApiError(status, body.detail, body.errors || {});
  }
  const fallback = {
    403: "You do not have permission to do that.",
    404: "Not found.",
    413: "The upload is larger than the server accepts.",
    429: "Too many requests; wait a moment and try again.",
  }[status];
  return new ApiError(status, fallback || `The server answered ${status}; try again.`);
}

/**
 * @param {string} method
 * @param {string} path  relative to /api/v1/, or absolute when it starts with "/"
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
async function request(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  if (method !== "GET" && method !== "HEAD") headers["X-CSRFToken"] = csrfToken();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(path.startsWith("/") ? path : API_ROOT + path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "Could not reach the server; check your connection.");
  }
  const text = await response.text();
  if (!response.ok) throw errorFrom(response.status, text);
  return text ? JSON.parse(text) : null;
}

/**
 * @param {Record<string, string | number | undefined>} params
 * @returns {string}
 */
function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** @param {ProjectFields} fields @returns {Promise<Project>} */
export function projectCreate(fields) {
  return request("POST", "projects/", fields);
}

/** @param {number} projectId @returns {Promise<Project>} */
export function projectGet(projectId) {
  return request("GET", `projects/${projectId}/`);
}

/**
 * A 409 says a removed class still has shapes (and how many); `delete_in_use` removes them.
 * @param {number} projectId
 * @param {ProjectFields & {delete_in_use?: boolean}} fields
 * @returns {Promise<Project>}
 */
export function projectUpdate(projectId, fields) {
  return request("PATCH", `projects/${projectId}/`, fields);
}

/**
 * `filter` (managers): only items with the pipeline feature, sorted by it, each with its value.
 * @typedef {{feature: string, order: string, min: string, max: string}} FeatureFilter
 */

/**
 * @param {number} projectId
 * @param {{page?: number, role?: string, pageSize?: number, filter?: FeatureFilter | null}} [options]
 * @returns {Promise<Page<Item>>}
 */
export function itemsList(projectId, { page = 1, role = "", pageSize, filter = null } = {}) {
  const search = query({ page, role, page_size: pageSize, ...(filter?.feature ? filter : {}) });
  return request("GET", `projects/${projectId}/items/${search}`);
}

/** The pipeline features the project's items have (managers). @param {number} projectId */
export async function featuresList(projectId) {
  const data = /** @type {{features: string[]}} */ (
    await request("GET", `projects/${projectId}/features/`)
  );
  return data.features;
}

/**
 * The feature the annotators' queue hands items out by; `feature: null` is the default order.
 * @typedef {{feature: string | null, order: string}} QueuePriority
 */

/** @param {number} projectId @returns {Promise<QueuePriority>} */
export function queuePriorityGet(projectId) {
  return request("GET", `projects/${projectId}/queue-priority/`);
}

/** @param {number} projectId @param {QueuePriority} priority @returns {Promise<QueuePriority>} */
export function queuePrioritySet(projectId, priority) {
  return request("PUT", `projects/${projectId}/queue-priority/`, priority);
}

/** @param {number} projectId @returns {Promise<Member[]>} */
export function membersList(projectId) {
  return request("GET", `projects/${projectId}/members/`);
}

/** @param {number} projectId @param {string} username @param {string} role */
export function memberSet(projectId, username, role) {
  return /** @type {Promise<Member>} */ (
    request("POST", `projects/${projectId}/members/`, { username, role })
  );
}

/** @param {number} projectId @param {number} userId @returns {Promise<null>} */
export function memberRemove(projectId, userId) {
  return request("DELETE", `projects/${projectId}/members/${userId}/`);
}

/**
 * Managers: each member's training, exam attempts, qualification, pause and hidden gold.
 * @param {number} projectId
 * @returns {Promise<{members: import("./members.js").MemberRecord[]}>}
 */
export function memberRecords(projectId) {
  return request("GET", `projects/${projectId}/member-records/`);
}

/** @param {number} projectId @param {string} username */
export function accountCreate(projectId, username) {
  return /** @type {Promise<{user_id: number, username: string, role: string, password: string}>} */ (
    request("POST", `projects/${projectId}/accounts/`, { username })
  );
}

/** @param {number} projectId @param {number} days */
export function inviteCreate(projectId, days) {
  return /** @type {Promise<{url: string, role: string, expires_at: string}>} */ (
    request("POST", `projects/${projectId}/invites/`, { days })
  );
}

/** @param {number} projectId @returns {Promise<{reset: number}>} */
export function qualificationReset(projectId) {
  return request("POST", `projects/${projectId}/qualification/reset/`);
}

/**
 * @param {number} projectId
 * @param {{status?: string, annotator?: string, page?: number, pageSize?: number}} [options]
 * @returns {Promise<Page<AnnotationDocument>>}
 */
export function annotationsList(
  projectId,
  { status = "", annotator = "", page = 1, pageSize } = {},
) {
  const search = query({ status, annotator, page, page_size: pageSize });
  return request("GET", `projects/${projectId}/annotations/${search}`);
}

/**
 * Send one batch of images (multipart field `file`, repeated) or one zip (field `archive`).
 * XMLHttpRequest rather than fetch: only it reports upload progress.
 *
 * @param {number} projectId
 * @param {{files?: File[], archive?: File, role?: string}} batch
 * @param {(sent: number, total: number) => void} [onProgress]
 * @returns {Promise<UploadReport>} the good files stored, each bad one refused with its reason
 */
export function itemsUpload(projectId, { files = [], archive, role = "task" }, onProgress) {
  const form = new FormData();
  for (const file of files) form.append("file", file, file.name);
  if (archive) form.append("archive", archive, archive.name);
  form.append("role", role);
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", `${API_ROOT}projects/${projectId}/items/`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.setRequestHeader("X-CSRFToken", csrfToken());
    xhr.withCredentials = true;
    if (onProgress) {
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) onProgress(event.loaded, event.total);
      });
    }
    xhr.addEventListener("load", () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        try {
          resolve(JSON.parse(xhr.responseText));
        } catch {
          reject(new ApiError(xhr.status, "The server's answer was not readable."));
        }
      } else {
        reject(errorFrom(xhr.status, xhr.responseText));
      }
    });
    xhr.addEventListener("error", () =>
      reject(new ApiError(0, "The upload was interrupted; check your connection and retry.")),
    );
    xhr.addEventListener("abort", () => reject(new ApiError(0, "The upload was cancelled.")));
    xhr.send(form);
  });
}

// --- versions, jobs, diffs ----------------------------------------------------------------------

/**
 * @typedef {{id: number, kind: string, project: number, status: string,
 *   progress: {done: number, total: number}, error: string, result: any, params: any,
 *   created_by: string | null, created_at: string, started_at: string | null,
 *   finished_at: string | null, attempts: number}} Job
 * @typedef {{items: number, shapes: number, annotated_items?: number,
 *   splits?: Record<string, number>, shapes_per_class?: Record<string, number>,
 *   annotators?: Record<string, number>}} VersionStats
 * @typedef {{id: string, project: number, message: string, author: string | null,
 *   parent: string | null, created_at: string, schema_hash: string, source: string,
 *   filters: any, stats: VersionStats, manifest_key: string, tags: string[]}} Version
 * @typedef {{name: string, version: string, updated_at: string}} VersionTag
 * @typedef {{shape: string, change: string, label: string, kind: string,
 *   class?: {from: string, to: string}, geometry?: {iou: number | null},
 *   attributes?: {from: any, to: any}}} ShapeChange
 * @typedef {{asset_sha256: string, annotation_hash: string | null, split: string}} DiffSide
 * @typedef {{item: number, change: string, before: DiffSide | null, after: DiffSide | null,
 *   shapes?: ShapeChange[]}} DiffRow
 * @typedef {Page<DiffRow> & {summary: Record<string, Record<string, number>>,
 *   totals: Record<string, number>}} DiffPage
 * @typedef {{id: string, label: string, kind: string, points?: number[], rotation?: number,
 *   attributes?: any, occluded?: boolean}} Shape
 * @typedef {{item: number, name: string, asset_sha256: string, width: number, height: number,
 *   split: string, annotation_hash: string | null, shapes: Shape[]}} VersionItem
 */

/**
 * @param {number} projectId
 * @param {{page?: number, pageSize?: number}} [options]
 * @returns {Promise<Page<Version>>}
 */
export function versionsList(projectId, { page = 1, pageSize } = {}) {
  return request("GET", `projects/${projectId}/versions/${query({ page, page_size: pageSize })}`);
}

/**
 * @param {number} projectId
 * @param {{message: string, source: string}} fields
 * @returns {Promise<Job>}
 */
export function versionSnapshot(projectId, fields) {
  return request("POST", `projects/${projectId}/versions/`, fields);
}

/** @param {string} versionId @returns {Promise<Version>} */
export function versionGet(versionId) {
  return request("GET", `versions/${encodeURIComponent(versionId)}/`);
}

/** @param {number} jobId @returns {Promise<Job>} */
export function jobGet(jobId) {
  return request("GET", `jobs/${jobId}/`);
}

/**
 * Which version a tag names; null when no such tag exists.
 * @param {number} projectId
 * @param {string} name
 * @returns {Promise<VersionTag | null>}
 */
export async function versionTagGet(projectId, name) {
  try {
    return await request("GET", `projects/${projectId}/version-tags/${encodeURIComponent(name)}/`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

/**
 * Create the tag, or move it here from another version.
 * @param {number} projectId @param {string} name @param {string} versionId
 * @returns {Promise<VersionTag>}
 */
export function versionTagSet(projectId, name, versionId) {
  const path = `projects/${projectId}/version-tags/${encodeURIComponent(name)}/`;
  return request("PUT", path, { version: versionId });
}

/** @param {number} projectId @param {string} name @returns {Promise<null>} */
export function versionTagDelete(projectId, name) {
  return request("DELETE", `projects/${projectId}/version-tags/${encodeURIComponent(name)}/`);
}

/** @param {string} versionId @param {string} format @returns {Promise<Job>} */
export function versionExport(versionId, format) {
  return request("POST", `versions/${encodeURIComponent(versionId)}/exports/`, { format });
}

/**
 * @param {string} versionId  the newer side
 * @param {string} againstId  the older side
 * @param {{page?: number, pageSize?: number}} [options]
 * @returns {Promise<DiffPage>}
 */
export function versionDiff(versionId, againstId, { page = 1, pageSize } = {}) {
  const search = query({ against: againstId, page, page_size: pageSize });
  return request("GET", `versions/${encodeURIComponent(versionId)}/diff/${search}`);
}

/**
 * Items of a version with their shapes as snapshotted.
 * @param {string} versionId
 * @param {number[]} itemIds
 * @returns {Promise<Page<VersionItem>>}
 */
export function versionItems(versionId, itemIds) {
  const search = query({ ids: itemIds.join(","), page_size: Math.max(1, itemIds.length) });
  return request("GET", `versions/${encodeURIComponent(versionId)}/items/${search}`);
}

/**
 * Done / total task items, and the statuses of the named items (for their tiles).
 * @param {number} projectId
 * @param {number[]} [itemIds]
 * @returns {Promise<{done: number, total: number, items: Record<string, string>}>}
 */
export function progressGet(projectId, itemIds = []) {
  return request("GET", `projects/${projectId}/progress/${query({ items: itemIds.join(",") })}`);
}

/**
 * The Quality tab's figures (quality/dashboard.py).
 * @param {number} projectId
 * @returns {Promise<any>}
 */
export function qualityDashboard(projectId) {
  return request("GET", `projects/${projectId}/quality/dashboard/`);
}

/**
 * One read-only SELECT over a version's tables (pipelines' SQL endpoint).
 * @param {string} versionId
 * @param {string} sql
 * @param {number} maxRows
 * @returns {Promise<{columns: string[], rows: unknown[][], truncated: boolean}>}
 */
export function versionSql(versionId, sql, maxRows) {
  return request("POST", `versions/${encodeURIComponent(versionId)}/sql/`, {
    sql,
    max_rows: maxRows,
  });
}
