// @ts-check
/**
 * The Quality tab (managers): per annotator gold scored, accuracy with its 95% interval, status
 * and items per hour; per class the confusion against gold. Every number opens the list of
 * scored documents behind it, each of which opens in the studio.
 */

import { qualityDashboard } from "./api.js";
import { errorText, h, plural, replace } from "./dom.js";
import { listTable, numeric, sectionHead } from "./panel.js";

/**
 * @typedef {{document: number, item: number, item_name: string, annotator: string,
 *   accuracy: number, tp: number, class_errors: number, fp: number, fn: number,
 *   scored_at: string}} ScoredDocument
 * @typedef {{user_id: number, username: string, role: string | null, status: string,
 *   status_reason: string, gold_items: number, accuracy: number | null,
 *   accuracy_interval: [number, number] | null, prob_below_threshold: number | null,
 *   tp: number, class_errors: number, fp: number, fn: number, submitted: number,
 *   work_hours: number, items_per_hour: number | null, documents: number[]}} AnnotatorRow
 * @typedef {{label: string, tp: number, class_error: number, fn: number, fp: number,
 *   confused_with: Record<string, number>, outcome_documents: Record<string, number[]>,
 *   confused_documents: Record<string, number[]>}} ClassRow
 * @typedef {{threshold: number, min_gold_items: number, annotators: AnnotatorRow[],
 *   classes: ClassRow[], documents: Record<string, ScoredDocument>}} Dashboard
 */

/** @param {number | null} value */
const percent = (value) => (value === null ? "—" : `${(value * 100).toFixed(1)}%`);

/**
 * @param {{projectId: number, root: HTMLElement, showAnnotations: (username: string) => void}} options
 * @returns {{load: () => Promise<void>}}
 */
export function qualityPanel({ projectId, root, showAnnotations }) {
  /** @type {Dashboard | null} */
  let data = null;
  const detail = h("section", { class: "card quality-detail", testid: "quality-detail", hidden: true });

  /**
   * Lists the documents behind a figure, each linking to the studio.
   * @param {string} title
   * @param {number[]} ids
   */
  const showDocuments = (title, ids) => {
    if (!data) return;
    const documents = data.documents;
    const rows = ids
      .map((id) => documents[String(id)])
      .filter(Boolean)
      .map((doc) =>
        h(
          "tr",
          { testid: "quality-document" },
          h(
            "td",
            {},
            h(
              "a",
              { href: `/items/${doc.item}/label/?document=${doc.document}`, testid: "quality-document-link" },
              doc.item_name || `Item ${doc.item}`,
            ),
          ),
          h("td", {}, doc.annotator),
          h("td", { class: "num" }, percent(doc.accuracy)),
          h("td", { class: "num" }, `${doc.tp} / ${doc.class_errors} / ${doc.fn} / ${doc.fp}`),
        ),
      );
    replace(
      detail,
      sectionHead(
        title,
        rows.length,
        h("button", { type: "button", class: "button small", onclick: () => (detail.hidden = true) }, "Close"),
      ),
      listTable(
        {},
        [
          "Item",
          "Annotator",
          numeric("Accuracy"),
          numeric("TP / CE / FN / FP", "correct / wrong class / missed / extra"),
        ],
        rows,
        "No scored documents behind this figure.",
      ),
    );
    detail.hidden = false;
    detail.scrollIntoView({ block: "nearest" });
  };

  /**
   * A number that opens the documents behind it.
   * @param {string | number} text
   * @param {string} title
   * @param {number[]} ids
   */
  const figure = (text, title, ids) =>
    ids.length
      ? h(
          "button",
          { type: "button", class: "link-button", testid: "quality-figure", onclick: () => showDocuments(title, ids) },
          String(text),
        )
      : h("span", { class: "muted" }, String(text));

  /** @param {AnnotatorRow} row */
  const annotatorRow = (row) => {
    const interval = row.accuracy_interval
      ? `${percent(row.accuracy_interval[0])} – ${percent(row.accuracy_interval[1])}`
      : "";
    const docs = row.documents;
    const name = row.username;
    return h(
      "tr",
      { testid: "quality-annotator", "data-username": name },
      h("td", {}, name),
      h(
        "td",
        {},
        h("span", { class: `badge quality-status status-${row.status}`, title: row.status_reason }, row.status),
      ),
      h("td", { class: "num" }, figure(row.gold_items, `Gold scored: ${name}`, docs)),
      h(
        "td",
        { class: "num" },
        figure(percent(row.accuracy), `Accuracy: ${name}`, docs),
        interval ? h("div", { class: "muted small", testid: "quality-interval" }, `95%: ${interval}`) : null,
      ),
      h("td", { class: "num" }, figure(row.class_errors, `Wrong class: ${name}`, docs)),
      h("td", { class: "num" }, figure(row.fn, `Missed: ${name}`, docs)),
      h("td", { class: "num" }, figure(row.fp, `Extra: ${name}`, docs)),
      h(
        "td",
        { class: "num" },
        row.submitted
          ? h(
              "button",
              {
                type: "button",
                class: "link-button",
                title: `Annotations by ${name}`,
                testid: "quality-submitted",
                onclick: () => showAnnotations(name),
              },
              String(row.submitted),
            )
          : h("span", { class: "muted" }, "0"),
      ),
      h(
        "td",
        { class: "num", title: `${row.work_hours.toFixed(2)} h of work` },
        row.items_per_hour === null ? "—" : row.items_per_hour.toFixed(1),
      ),
    );
  };

  /** @param {ClassRow} row */
  const classRow = (row) => {
    const docs = row.outcome_documents;
    const confusions = Object.entries(row.confused_with).map(([label, count]) =>
      h(
        "span",
        { class: "confusion" },
        figure(`${label} ×${count}`, `${row.label} labelled as ${label}`, row.confused_documents[label] || []),
      ),
    );
    return h(
      "tr",
      { testid: "quality-class", "data-label": row.label },
      h("td", {}, row.label),
      h("td", { class: "num" }, figure(row.tp, `${row.label}: correct`, docs.tp || [])),
      h("td", { class: "num" }, figure(row.class_error, `${row.label}: wrong class`, docs.class_error || [])),
      h("td", { class: "num" }, figure(row.fn, `${row.label}: missed`, docs.fn || [])),
      h("td", { class: "num" }, figure(row.fp, `${row.label}: extra`, docs.fp || [])),
      h("td", {}, confusions.length ? confusions : h("span", { class: "muted" }, "—")),
    );
  };

  const render = () => {
    if (!data) return;
    const annotators = data.annotators;
    const classes = data.classes;
    replace(
      root,
      h(
        "section",
        { class: "card" },
        sectionHead("Annotators", annotators.length),
        h(
          "p",
          { class: "hint" },
          `Accuracy = TP / (TP + wrong class + missed + extra) over hidden gold, with its 95% interval. ` +
            `Paused when below ${percent(data.threshold)} with 95% confidence after ` +
            `${plural(data.min_gold_items, "gold item")}. Click a number for the documents behind it.`,
        ),
        listTable(
          { class: "quality-table", testid: "quality-annotators" },
          [
            "Annotator",
            "Status",
            numeric("Gold scored"),
            numeric("Accuracy"),
            numeric("Wrong class"),
            numeric("Missed"),
            numeric("Extra"),
            numeric("Submitted"),
            numeric("Items / h", "items submitted per hour of work"),
          ],
          annotators.map(annotatorRow),
          "No annotators yet.",
        ),
      ),
      h(
        "section",
        { class: "card" },
        sectionHead("Classes against gold"),
        listTable(
          { class: "quality-table", testid: "quality-classes" },
          [
            "Class",
            numeric("Correct"),
            numeric("Wrong class"),
            numeric("Missed"),
            numeric("Extra"),
            "Confused with",
          ],
          classes.map(classRow),
          "No gold item has been scored yet.",
        ),
      ),
      detail,
    );
  };

  return {
    load: async () => {
      try {
        data = /** @type {Dashboard} */ (await qualityDashboard(projectId));
        render();
      } catch (error) {
        replace(root, h("p", { class: "error" }, `Could not load the quality figures: ${errorText(error)}`));
      }
    },
  };
}
