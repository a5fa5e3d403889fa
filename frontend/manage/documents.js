// @ts-check
/**
 * Annotation documents for reviewers and managers, newest first. The API lists oldest first,
 * so the panel reads the count, then walks pages from the last one backwards.
 */

import { annotationsList } from "./api.js";
import { $, errorText, formatTime, h, plural, replace, say } from "./dom.js";

/** @typedef {import("./api.js").AnnotationDocument} AnnotationDocument */

const PAGE_SIZE = 20;

/** @param {AnnotationDocument} document */
function row(document) {
  return h(
    "tr",
    { testid: "document-row", "data-document-id": document.id },
    h(
      "td",
      {},
      h(
        "a",
        {
          href: `/items/${document.item}/label/?document=${document.id}`,
          testid: "document-link",
          title: `Open ${document.annotator}'s annotation in the studio`,
        },
        document.item_name || `Item ${document.item}`,
      ),
    ),
    h("td", {}, document.annotator),
    h("td", {}, h("span", { class: `badge status-${document.status}` }, document.status)),
    h("td", { class: "num" }, document.shapes.length),
    h("td", { class: "num" }, document.version),
    h("td", { class: "muted" }, formatTime(document.submitted_at || document.updated_at)),
  );
}

/**
 * @param {{projectId: number, root: HTMLElement}} options
 * @returns {{load: () => Promise<void>, byAnnotator: (username: string) => Promise<void>}}
 */
export function documentsPanel({ projectId, root }) {
  const table = $("[data-testid=document-list]", root);
  const body = $("tbody", table);
  const count = $("[data-testid=documents-count]", root);
  const empty = $("[data-testid=documents-empty]", root);
  const status = /** @type {HTMLSelectElement} */ ($("[data-testid=documents-status]", root));
  const pager = $("[data-testid=documents-pager]", root);
  const pagerText = $(".pager-text", pager);
  const newer = /** @type {HTMLButtonElement} */ ($("[data-pager=newer]", pager));
  const older = /** @type {HTMLButtonElement} */ ($("[data-pager=older]", pager));
  let annotator = ""; // "" every annotator
  const chip = h("span", { class: "filter-chip", testid: "documents-annotator", hidden: true });
  $(".section-head", root).append(chip);
  let pages = 1;
  let page = 1; // the API's page number; the last one holds the newest documents

  /** @param {number | null} wanted  null: the newest page */
  const show = async (wanted) => {
    try {
      let data = await annotationsList(projectId, {
        status: status.value,
        annotator,
        page: wanted ?? 1,
        pageSize: PAGE_SIZE,
      });
      pages = Math.max(1, Math.ceil(data.count / PAGE_SIZE));
      page = wanted ?? pages;
      if (page !== (wanted ?? 1)) {
        data = await annotationsList(projectId, {
          status: status.value,
          annotator,
          page,
          pageSize: PAGE_SIZE,
        });
      }
      count.textContent = `${data.count}`;
      replace(body, [...data.results].reverse().map(row));
      table.hidden = data.count === 0;
      const which = status.value ? `${status.value} ` : "";
      say(empty, data.count ? "" : `No ${which}annotations yet.`);
      pager.hidden = pages <= 1;
      pagerText.textContent = `${pages - page + 1} of ${pages} · ${plural(data.count, "document")}`;
      newer.disabled = page >= pages;
      older.disabled = page <= 1;
    } catch (error) {
      say(empty, `Could not load annotations: ${errorText(error)}`, "error");
    }
  };

  status.addEventListener("change", () => show(null));
  newer.addEventListener("click", () => show(page + 1));
  older.addEventListener("click", () => show(page - 1));
  return {
    load: () => show(null),
    byAnnotator: (username) => {
      annotator = username;
      status.value = "";
      replace(
        chip,
        `by ${username} `,
        h("button", { type: "button", class: "link-button", "aria-label": "Every annotator", onclick: () => {
          annotator = "";
          chip.hidden = true;
          show(null);
        } }, "×"),
      );
      chip.hidden = !username;
      return show(null);
    },
  };
}
