// @ts-check
/**
 * /versions/<id>/diff/?against=<id>: totals, the per-class summary, then the changed items a page
 * at a time, each with its thumbnail and the shapes of both sides drawn over it (before dashed,
 * after solid; added green, removed red, changed amber; unchanged shapes faint for context).
 */

import { versionDiff, versionItems } from "./api.js";
import { $, errorText, h, jsonScript, plural, replace, say, testHook } from "./dom.js";

/** @typedef {import("./api.js").DiffRow} DiffRow */
/** @typedef {import("./api.js").VersionItem} VersionItem */
/** @typedef {import("./api.js").Shape} Shape */
/** @typedef {import("./api.js").ShapeChange} ShapeChange */
/**
 * @typedef {{projectId: number, versionId: string, againstId: string,
 *   colors: Record<string, string>}} PageConfig
 */

const config = /** @type {PageConfig} */ (jsonScript("page-config"));
const hook = testHook();
const PAGE_SIZE = 10;
const COLORS = { added: "#2f9e44", removed: "#e03131", changed: "#f08c00", same: "#ffffff" };
const SUMMARY_COLUMNS = [
  "added",
  "removed",
  "class_changed_from",
  "class_changed_to",
  "geometry_changed",
  "attributes_changed",
];

const rowsList = $("[data-testid=diff-rows]");
const rowsEmpty = $("[data-testid=diff-rows-empty]");
const errorBox = $("[data-testid=diff-error]");
const pager = $("[data-testid=diff-pager]");
const pagerText = $(".pager-text", pager);
const previous = /** @type {HTMLButtonElement} */ ($("[data-pager=previous]", pager));
const next = /** @type {HTMLButtonElement} */ ($("[data-pager=next]", pager));
let current = 1;

// --- drawing ------------------------------------------------------------------------------------

/**
 * @param {CanvasRenderingContext2D} context
 * @param {Shape} shape
 * @param {number} scale  canvas pixels per image pixel
 */
function tracePath(context, shape, scale) {
  const points = (shape.points || []).map((value) => value * scale);
  context.beginPath();
  if (shape.kind === "box" || shape.kind === "mask") {
    if (points.length < 4) return false;
    const [x1, y1, x2, y2] = points;
    const angle = ((shape.kind === "box" && shape.rotation) || 0) * (Math.PI / 180);
    const cx = (x1 + x2) / 2;
    const cy = (y1 + y2) / 2;
    const corners = [
      [x1, y1],
      [x2, y1],
      [x2, y2],
      [x1, y2],
    ].map(([x, y]) => [
      cx + (x - cx) * Math.cos(angle) - (y - cy) * Math.sin(angle),
      cy + (x - cx) * Math.sin(angle) + (y - cy) * Math.cos(angle),
    ]);
    corners.forEach(([x, y], index) => (index ? context.lineTo(x, y) : context.moveTo(x, y)));
    context.closePath();
    return true;
  }
  if (shape.kind === "keypoints") {
    for (let index = 0; index + 2 < points.length + 1; index += 3) {
      if (!shape.points || shape.points[index + 2] === 0) continue;
      context.moveTo(points[index] + 3, points[index + 1]);
      context.arc(points[index], points[index + 1], 3, 0, Math.PI * 2);
    }
    return true;
  }
  if (shape.kind === "cuboid") {
    if (points.length < 16) return false;
    /** @type {(n: number) => [number, number]} */
    const vertex = (n) => [points[2 * n], points[2 * n + 1]];
    for (const face of [
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]) {
      face.forEach((n, index) => {
        const [x, y] = vertex(n);
        if (index) context.lineTo(x, y);
        else context.moveTo(x, y);
      });
      context.closePath();
    }
    for (let n = 0; n < 4; n += 1) {
      context.moveTo(...vertex(n));
      context.lineTo(...vertex(n + 4));
    }
    return true;
  }
  if (points.length < 4) return false; // polygon, polyline; tags have no geometry
  for (let index = 0; index + 1 < points.length; index += 2) {
    if (index) context.lineTo(points[index], points[index + 1]);
    else context.moveTo(points[index], points[index + 1]);
  }
  if (shape.kind === "polygon") context.closePath();
  return true;
}

/**
 * @param {CanvasRenderingContext2D} context
 * @param {Shape} shape
 * @param {number} scale
 * @param {{color: string, dashed: boolean, faint?: boolean}} style
 */
function drawShape(context, shape, scale, { color, dashed, faint = false }) {
  if (!tracePath(context, shape, scale)) return;
  context.save();
  context.setLineDash(dashed ? [5, 4] : []);
  context.lineWidth = faint ? 1 : 2;
  context.globalAlpha = faint ? 0.55 : 1;
  // A dark halo first: the colours stay readable on light and dark images alike.
  if (!faint) {
    context.strokeStyle = "rgba(0, 0, 0, 0.55)";
    context.lineWidth = 4;
    context.stroke();
    context.lineWidth = 2;
  }
  context.strokeStyle = color;
  context.stroke();
  context.restore();
}

/**
 * What to draw for one item: each side's shapes with the colour of their change.
 * @param {DiffRow} row
 * @param {VersionItem | undefined} before
 * @param {VersionItem | undefined} after
 */
function drawPlan(row, before, after) {
  /** @type {{shape: Shape, color: string, dashed: boolean, faint?: boolean}[]} */
  const plan = [];
  if (row.change !== "changed") {
    const side = row.change === "added" ? after : before;
    for (const shape of side?.shapes || []) {
      plan.push({ shape, color: COLORS[row.change === "added" ? "added" : "removed"], dashed: row.change !== "added" });
    }
    return plan;
  }
  const changes = new Map((row.shapes || []).map((change) => [change.shape, change]));
  for (const shape of after?.shapes || []) {
    if (!changes.has(shape.id)) plan.push({ shape, color: COLORS.same, dashed: false, faint: true });
  }
  for (const shape of before?.shapes || []) {
    const change = changes.get(shape.id);
    if (change) plan.push({ shape, color: COLORS[change.change === "removed" ? "removed" : "changed"], dashed: true });
  }
  for (const shape of after?.shapes || []) {
    const change = changes.get(shape.id);
    if (change) plan.push({ shape, color: COLORS[change.change === "added" ? "added" : "changed"], dashed: false });
  }
  return plan;
}

/**
 * The thumbnail with a canvas over it, sized to the image's aspect ratio.
 * @param {DiffRow} row
 * @param {VersionItem | undefined} before
 * @param {VersionItem | undefined} after
 */
function overlay(row, before, after) {
  const side = after || before;
  const width = side?.width || 4;
  const height = side?.height || 3;
  const canvas = h("canvas", { class: "overlay", testid: "diff-overlay", "aria-hidden": "true" });
  const image = h("img", {
    src: `/api/v1/items/${row.item}/thumbnail/`,
    alt: side?.name || `Item ${row.item}`,
    loading: "lazy",
    decoding: "async",
    testid: "diff-thumbnail",
  });
  const figure = h("figure", { class: "diff-figure" }, image, canvas);
  figure.style.aspectRatio = `${width} / ${height}`; // CSSOM, which the CSP allows
  const plan = drawPlan(row, before, after);
  const paint = () => {
    const ratio = window.devicePixelRatio || 1;
    const box = figure.getBoundingClientRect();
    if (!box.width) return;
    canvas.width = Math.round(box.width * ratio);
    canvas.height = Math.round(box.height * ratio);
    const context = canvas.getContext("2d");
    if (!context) return;
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    const scale = box.width / width;
    for (const entry of plan) drawShape(context, entry.shape, scale, entry);
    canvas.dataset.drawn = String(plan.length);
  };
  requestAnimationFrame(paint);
  return figure;
}

// --- text ---------------------------------------------------------------------------------------

/** @param {string} label */
function swatch(label) {
  const color = config.colors[label] || "#888888";
  const mark = h("span", { class: "class-dot", "aria-hidden": "true" });
  mark.style.background = color; // CSSOM, which the CSP allows
  return mark;
}

/** @param {ShapeChange} change */
function changeLine(change) {
  /** @type {(Node | string)[]} */
  const parts = [];
  if (change.change !== "changed") {
    parts.push(change.change === "added" ? "added" : "removed");
  } else {
    if (change.class) parts.push(`class ${change.class.from} → ${change.class.to}`);
    if (change.geometry) {
      const iou = change.geometry.iou;
      parts.push(
        h(
          "span",
          { class: "iou", testid: "shape-iou" },
          iou === null || iou === undefined ? "geometry moved" : `geometry IoU ${iou.toFixed(2)}`,
        ),
      );
    }
    if (change.attributes) parts.push(`attributes ${describeAttributes(change.attributes)}`);
  }
  const separated = parts.flatMap((part, index) => (index ? [" · ", part] : [part]));
  return h(
    "li",
    { class: `shape-change change-${change.change}`, testid: "shape-change", "data-change": change.change },
    swatch(change.label),
    h("span", { class: "shape-label" }, change.label),
    h("span", { class: "muted" }, change.kind),
    h("span", { class: "shape-what" }, ...separated),
  );
}

/** @param {{from: any, to: any}} attributes */
function describeAttributes({ from, to }) {
  const keys = new Set([...Object.keys(from?.attributes || {}), ...Object.keys(to?.attributes || {})]);
  const changed = [...keys].filter(
    (key) => JSON.stringify(from?.attributes?.[key]) !== JSON.stringify(to?.attributes?.[key]),
  );
  if ((from?.occluded || false) !== (to?.occluded || false)) changed.push("occluded");
  return changed.length ? `(${changed.join(", ")})` : "";
}

/**
 * @param {DiffRow} row
 * @param {VersionItem | undefined} before
 * @param {VersionItem | undefined} after
 */
function rowElement(row, before, after) {
  const side = after || before;
  const shapes = row.shapes || [];
  /** @type {(Node | string | null)[]} */
  const notes = [];
  if (row.change === "added") notes.push(`New in this version · ${plural(after?.shapes.length || 0, "shape")}`);
  if (row.change === "removed") notes.push(`Not in this version · had ${plural(before?.shapes.length || 0, "shape")}`);
  if (row.change === "changed" && row.before && row.after && row.before.split !== row.after.split) {
    notes.push(`split ${row.before.split || "none"} → ${row.after.split || "none"}`);
  }
  if (row.change === "changed" && !shapes.length && row.before?.asset_sha256 === row.after?.asset_sha256) {
    if (row.before?.annotation_hash !== row.after?.annotation_hash) notes.push("Annotation re-saved; no shape changed");
  }
  return h(
    "li",
    { class: `diff-row change-${row.change}`, testid: "diff-row", "data-item-id": row.item, "data-change": row.change },
    overlay(row, before, after),
    h(
      "div",
      { class: "diff-body" },
      h(
        "div",
        { class: "diff-head" },
        h("a", { href: `/items/${row.item}/label/`, class: "row-title", testid: "diff-item-link" }, side?.name || `Item ${row.item}`),
        h("span", { class: `badge change-badge change-${row.change}`, testid: "diff-change" }, row.change),
        shapes.length ? h("span", { class: "muted small" }, plural(shapes.length, "shape change")) : null,
      ),
      notes.map((note) => h("p", { class: "muted small diff-note" }, note)),
      shapes.length ? h("ul", { class: "shape-changes" }, shapes.map(changeLine)) : null,
    ),
  );
}

/** @param {Record<string, Record<string, number>>} summary */
function showSummary(summary) {
  const table = $("[data-testid=diff-summary]");
  const labels = Object.keys(summary);
  replace(
    $("tbody", table),
    labels.map((label) =>
      h(
        "tr",
        { testid: "summary-row", "data-label": label },
        h("td", {}, swatch(label), h("span", { class: "class-name-inline" }, label)),
        SUMMARY_COLUMNS.map((column) => {
          const value = summary[label][column] || 0;
          return h("td", { class: `num${value ? "" : " zero"}`, "data-column": column }, value);
        }),
      ),
    ),
  );
  table.hidden = !labels.length;
  $("[data-testid=diff-summary-empty]").hidden = Boolean(labels.length);
}

/** @param {Record<string, number>} totals */
function showTotals(totals) {
  for (const [name, value] of Object.entries(totals)) {
    const target = document.querySelector(`[data-testid="total-${name}"]`);
    if (target) target.textContent = String(value);
  }
  $("[data-testid=diff-totals]").removeAttribute("aria-busy");
}

// --- loading ------------------------------------------------------------------------------------

/** @param {string} versionId @param {number[]} ids */
async function itemsOf(versionId, ids) {
  if (!ids.length) return new Map();
  const page = await versionItems(versionId, ids);
  return new Map(page.results.map((item) => [item.item, item]));
}

/** @param {number} page */
async function load(page) {
  hook.diffReady = false;
  rowsList.setAttribute("aria-busy", "true");
  try {
    const data = await versionDiff(config.versionId, config.againstId, { page, pageSize: PAGE_SIZE });
    const [before, after] = await Promise.all([
      itemsOf(config.againstId, data.results.filter((row) => row.before).map((row) => row.item)),
      itemsOf(config.versionId, data.results.filter((row) => row.after).map((row) => row.item)),
    ]);
    current = page;
    say(errorBox, "");
    showTotals(data.totals);
    showSummary(data.summary);
    $("[data-testid=diff-count]").textContent = data.count ? String(data.count) : "";
    replace(rowsList, data.results.map((row) => rowElement(row, before.get(row.item), after.get(row.item))));
    rowsEmpty.hidden = data.count > 0;
    const pages = Math.max(1, Math.ceil(data.count / PAGE_SIZE));
    pager.hidden = pages <= 1;
    pagerText.textContent = `Page ${current} of ${pages} · ${plural(data.count, "item")}`;
    previous.disabled = !data.previous;
    next.disabled = !data.next;
    hook.diffRows = data.results.map((row) => row.item);
  } catch (error) {
    say(errorBox, `Could not load the diff: ${errorText(error)}`, "error");
  } finally {
    rowsList.removeAttribute("aria-busy");
    hook.diffReady = true;
  }
}

previous.addEventListener("click", () => load(current - 1));
next.addEventListener("click", () => load(current + 1));
load(1).then(() => {
  hook.ready = true;
});
