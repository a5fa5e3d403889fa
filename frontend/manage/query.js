// @ts-check
/**
 * /versions/<id>/query/: an SQL editor over the version's tables (items, shapes, one table per
 * per-item feature step), the tables and columns beside it (a click inserts a name), results as
 * a table and a chart of the first two columns (bar or line, SVG drawn here: no library), and
 * the server's refusals spelled out: syntax errors, the time limit, the row limit, and anything
 * reaching outside the version (files, URLs, settings).
 */

import { ApiError, versionSql } from "./api.js";
import { $, errorText, h, jsonScript, plural, replace, say, testHook } from "./dom.js";

/** @typedef {{versionId: string, maxRows: number, timeoutSeconds: number,
 *   tables: Record<string, [string, string][]>}} PageConfig */
/** @typedef {{columns: string[], rows: unknown[][], truncated: boolean}} Result */

const config = /** @type {PageConfig} */ (jsonScript("page-config"));
const hook = testHook();
const SVG = "http://www.w3.org/2000/svg";
const CHART_ROWS = 60;
const WIDTH = 720;
const HEIGHT = 260;
const PAD = { left: 56, right: 16, top: 12, bottom: 64 };

const form = /** @type {HTMLFormElement} */ ($("[data-testid=query-form]"));
const editor = /** @type {HTMLTextAreaElement} */ ($("[data-testid=query-sql]"));
const runButton = /** @type {HTMLButtonElement} */ ($("[data-testid=query-run]"));
const status = $("[data-testid=query-status]");
const errorBox = $("[data-testid=query-error]");
const results = $("[data-testid=query-results]");
const count = $("[data-testid=query-count]");
const table = $("[data-testid=query-table-out]");
const chart = $("[data-testid=query-chart]");
const chartNote = $("[data-testid=query-chart-note]");
const chartKind = /** @type {HTMLSelectElement} */ ($("[data-testid=query-chart-kind]"));

/** @type {Result | null} */
let last = null;

/**
 * What kind of refusal the server's message is, for a heading the reader can act on.
 * @param {string} message
 */
function errorKind(message) {
  if (/ran longer than/i.test(message)) return "Time limit";
  if (/outside this version|read-only|exactly one statement/i.test(message)) return "Refused";
  if (/pars|syntax/i.test(message)) return "Syntax error";
  if (/max_rows|at most|less than or equal/i.test(message)) return "Row limit";
  return "Query error";
}

/** @param {unknown} error */
function showError(error) {
  const message =
    error instanceof ApiError ? error.messageFor("sql", "max_rows") : errorText(error);
  const kind = errorKind(message);
  replace(errorBox, h("strong", { testid: "query-error-kind" }, `${kind}: `), message);
  errorBox.hidden = false;
  hook.error = { kind, message };
}

/** @param {unknown} value */
function cellText(value) {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** @param {unknown} value */
function isNumber(value) {
  return typeof value === "number" && Number.isFinite(value);
}

/** @param {Result} result */
function renderTable(result) {
  const numeric = result.columns.map((_, index) => result.rows.some((row) => isNumber(row[index])));
  replace(
    /** @type {HTMLElement} */ ($("thead", table)),
    h(
      "tr",
      {},
      result.columns.map((name, index) => h("th", { class: numeric[index] ? "num" : "" }, name)),
    ),
  );
  replace(
    /** @type {HTMLElement} */ ($("tbody", table)),
    result.rows.map((row) =>
      h(
        "tr",
        {},
        row.map((value, index) =>
          h(
            "td",
            { class: [numeric[index] ? "num" : "", value === null ? "null" : ""].join(" ").trim() },
            cellText(value),
          ),
        ),
      ),
    ),
  );
}

/**
 * @param {string} tag
 * @param {Record<string, string | number>} attributes
 * @param {string} [text]
 */
function svg(tag, attributes, text) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/** A "nice" step for about `ticks` axis divisions of `span`. */
function niceStep(/** @type {number} */ span, ticks = 5) {
  const raw = span / ticks || 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  const scaled = raw / power;
  return (scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 5 ? 5 : 10) * power;
}

/** @param {string} text @param {number} size */
function clip(text, size) {
  return text.length > size ? `${text.slice(0, size - 1)}…` : text;
}

/** The first column as labels, the second as values: bars, or a line in row order. */
function renderChart() {
  chart.replaceChildren();
  const result = last;
  const rows = result ? result.rows.filter((row) => isNumber(row[1])) : [];
  if (!result || result.columns.length < 2 || !rows.length) {
    chart.hidden = true;
    say(
      chartNote,
      result && result.rows.length
        ? "No chart: it plots the first column against the second, which must be numbers."
        : "",
    );
    hook.chart = null;
    return;
  }
  const shown = rows.slice(0, CHART_ROWS);
  const values = shown.map((row) => /** @type {number} */ (row[1]));
  const low = Math.min(0, ...values);
  const high = Math.max(0, ...values);
  const step = niceStep(high - low);
  const top = Math.ceil(high / step) * step || step;
  const bottom = Math.floor(low / step) * step;
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const y = (/** @type {number} */ value) =>
    PAD.top + plotHeight - ((value - bottom) / (top - bottom)) * plotHeight;
  const band = plotWidth / shown.length;
  const x = (/** @type {number} */ index) => PAD.left + band * (index + 0.5);
  const kind = chartKind.value === "line" ? "line" : "bar";
  const root = svg("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: "img",
    "aria-label": `${kind} chart of ${result.columns[1]} by ${result.columns[0]}`,
    class: `chart chart-${kind}`,
    "data-testid": "query-chart-svg",
  });
  for (let tick = bottom; tick <= top + step / 2; tick += step) {
    const value = Number(tick.toPrecision(12));
    root.append(svg("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(value), y2: y(value), class: "grid" }));
    root.append(svg("text", { x: PAD.left - 6, y: y(value) + 4, class: "tick tick-y" }, String(value)));
  }
  const labelEvery = Math.ceil(shown.length / 20);
  shown.forEach((row, index) => {
    const value = /** @type {number} */ (row[1]);
    const title = `${cellText(row[0])}: ${value}`;
    if (kind === "bar") {
      const bar = svg("rect", {
        x: x(index) - band * 0.4,
        y: Math.min(y(value), y(0)),
        width: Math.max(1, band * 0.8),
        height: Math.max(1, Math.abs(y(0) - y(value))),
        class: "chart-bar",
        "data-testid": "query-chart-bar",
      });
      bar.append(svg("title", {}, title));
      root.append(bar);
    }
    if (index % labelEvery === 0) {
      const labelY = HEIGHT - PAD.bottom + 14;
      root.append(
        svg(
          "text",
          { x: x(index), y: labelY, class: "tick tick-x", transform: `rotate(-30 ${x(index)} ${labelY})` },
          clip(cellText(row[0]), 14),
        ),
      );
    }
  });
  if (kind === "line") {
    const points = shown.map((row, index) => `${x(index)},${y(/** @type {number} */ (row[1]))}`);
    root.append(svg("polyline", { points: points.join(" "), class: "line", "data-testid": "query-chart-line" }));
    shown.forEach((row, index) => {
      const dot = svg("circle", { cx: x(index), cy: y(/** @type {number} */ (row[1])), r: 3, class: "dot" });
      dot.append(svg("title", {}, `${cellText(row[0])}: ${row[1]}`));
      root.append(dot);
    });
  }
  root.append(svg("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: y(0), y2: y(0), class: "axis" }));
  root.append(svg("text", { x: 12, y: PAD.top + plotHeight / 2, class: "axis-title", transform: `rotate(-90 12 ${PAD.top + plotHeight / 2})` }, clip(result.columns[1], 24)));
  chart.append(root);
  chart.hidden = false;
  say(
    chartNote,
    rows.length > shown.length
      ? `The chart shows the first ${shown.length} of ${rows.length} rows.`
      : "",
  );
  hook.chart = { kind, points: shown.length };
}

/** @param {Result} result */
function renderResult(result) {
  last = result;
  const rows = plural(result.rows.length, "row");
  count.textContent = result.truncated
    ? `${rows} (limit reached: more rows exist; aggregate or add LIMIT)`
    : rows;
  count.classList.toggle("warning", result.truncated);
  renderTable(result);
  renderChart();
  results.hidden = false;
  hook.result = { columns: result.columns, rows: result.rows.length, truncated: result.truncated };
}

async function run() {
  const sql = editor.value.trim();
  if (!sql) {
    showError(new Error("Write a SELECT first."));
    return;
  }
  runButton.disabled = true;
  say(status, "Running…");
  say(errorBox, "");
  hook.error = null;
  const started = performance.now();
  try {
    renderResult(await versionSql(config.versionId, sql, config.maxRows));
    say(status, `Ran in ${((performance.now() - started) / 1000).toFixed(2)} s`);
  } catch (error) {
    say(status, "");
    showError(error);
  } finally {
    runButton.disabled = false;
    hook.runs = Number(hook.runs || 0) + 1;
  }
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  void run();
});
editor.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    void run();
  }
});
chartKind.addEventListener("change", renderChart);
for (const button of document.querySelectorAll("[data-insert]")) {
  button.addEventListener("click", (event) => {
    event.preventDefault();
    const name = /** @type {HTMLElement} */ (button).dataset.insert || "";
    const { selectionStart, selectionEnd, value } = editor;
    editor.value = value.slice(0, selectionStart) + name + value.slice(selectionEnd);
    editor.focus();
    editor.setSelectionRange(selectionStart + name.length, selectionStart + name.length);
  });
}
hook.tables = Object.keys(config.tables);
hook.ready = true;
