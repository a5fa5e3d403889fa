// @ts-check
/**
 * The items grid: thumbnails linking to the labeling page, a role filter and pages; for
 * managers also a pipeline feature to sort and filter by (item-features.js), its value on each tile.
 */

import { itemsList, progressGet } from "./api.js";
import { $, errorText, h, plural, replace, say } from "./dom.js";
import { featureBar, featureText } from "./item-features.js";

/** @typedef {import("./api.js").Item} Item */

const PAGE_SIZE = 48; // a multiple of the grid's common column counts (4, 6, 8)

/**
 * A tile linking to the studio; for managers, with a "Gold" link beside it to draw or edit the
 * item's gold answer (a sibling: links do not nest).
 * @param {Item} item
 * @param {boolean} isManager
 * @param {string} [featureName] the feature the list is sorted by
 */
function tile(item, isManager, featureName) {
  const link = itemLink(item, featureName);
  if (!isManager) return link;
  return h(
    "div",
    { class: "tile-cell" },
    link,
    h(
      "a",
      {
        class: "tile-gold",
        href: `/items/${item.id}/label/?gold=1`,
        testid: "item-gold",
        title: `Draw or edit the gold answer of ${item.name || `item ${item.id}`}`,
      },
      "Gold",
    ),
  );
}

/** @param {Item} item @param {string} [featureName] the feature the list is sorted by */
function itemLink(item, featureName) {
  const { width, height } = item.asset;
  return h(
    "a",
    {
      class: "tile",
      href: `/items/${item.id}/label/`,
      testid: "item-tile",
      "data-item-id": item.id,
      title: item.name,
    },
    h(
      "span",
      { class: "thumb" },
      h("img", { src: item.thumbnail_url, loading: "lazy", alt: item.name, decoding: "async" }),
    ),
    h(
      "span",
      { class: "tile-body" },
      h("span", { class: "tile-name" }, item.name || `Item ${item.id}`),
      h(
        "span",
        { class: "tile-meta" },
        `${width}×${height}`,
        h("span", { class: "badge tile-status", testid: "item-status", hidden: true }),
        // Only managers' responses carry the role (gold is hidden from everyone else).
        item.role && item.role !== "task"
          ? h("span", { class: `badge badge-${item.role}` }, item.role)
          : null,
      ),
      typeof item.feature === "number" && featureName
        ? h(
            "span",
            {
              class: "tile-feature",
              testid: "item-feature",
              "data-value": item.feature,
              title: `${featureName} = ${item.feature}`,
            },
            `${featureName.split(".").pop()} `,
            h("strong", {}, featureText(item.feature)),
          )
        : null,
    ),
  );
}

const STATUS_TEXT = /** @type {Record<string, string>} */ ({
  unlabeled: "unlabeled",
  in_progress: "in progress",
  submitted: "submitted",
  accepted: "accepted",
  rejected: "rejected",
});

/**
 * Fills each tile's status badge; the grid stays usable if the figures cannot be read.
 * @param {number} projectId
 * @param {HTMLElement} grid
 * @param {Item[]} items
 */
async function showStatuses(projectId, grid, items) {
  if (!items.length) return;
  let statuses;
  try {
    statuses = (await progressGet(projectId, items.map((item) => item.id))).items;
  } catch {
    return;
  }
  for (const badge of grid.querySelectorAll("[data-testid=item-status]")) {
    const tile = /** @type {HTMLElement} */ (badge.closest("[data-item-id]"));
    const status = statuses[tile.dataset.itemId || ""];
    if (!status) continue;
    badge.textContent = STATUS_TEXT[status] || status;
    badge.className = `badge tile-status status-${status.replace("_", "-")}`;
    badge.setAttribute("data-status", status);
    /** @type {HTMLElement} */ (badge).hidden = false;
  }
}

/**
 * @param {{projectId: number, root: HTMLElement, canUpload: boolean, canFilter?: boolean}} options
 * @returns {{load: (page?: number) => Promise<{count: number, role: string} | null>}}
 */
export function itemsGrid({ projectId, root, canUpload, canFilter = false }) {
  const grid = $("[data-testid=item-grid]", root);
  const count = $("[data-testid=items-count]", root);
  const empty = $("[data-testid=items-empty]", root);
  const errorBox = $("[data-testid=items-error]", root);
  const pager = $("[data-testid=items-pager]", root);
  const pagerText = $(".pager-text", pager);
  const previous = /** @type {HTMLButtonElement} */ ($("[data-pager=previous]", pager));
  const next = /** @type {HTMLButtonElement} */ ($("[data-pager=next]", pager));
  const roleFilter = /** @type {HTMLSelectElement} */ ($("[data-testid=items-role]", root));
  let current = 1;
  let loading = 0;
  const features = canFilter ? featureBar({ projectId, root, onChange: () => load(1) }) : null;
  /** @type {Promise<boolean> | null} */
  let featuresRead = null; // the select is filled (and the URL's filter read) before listing

  /** @param {number} [page] */
  const load = async (page = current) => {
    const ticket = (loading += 1);
    grid.setAttribute("aria-busy", "true");
    try {
      if (features) await (featuresRead ??= features.init());
      const filter = features?.filter() ?? null;
      const data = await itemsList(projectId, {
        page,
        role: roleFilter.value,
        pageSize: PAGE_SIZE,
        filter,
      });
      if (ticket !== loading) return null; // a later request superseded this one
      const pages = Math.max(1, Math.ceil(data.count / PAGE_SIZE));
      current = Math.min(page, pages);
      say(errorBox, "");
      count.textContent = `${data.count}`;
      replace(
        grid,
        data.results.map((item) => tile(item, canUpload, filter?.feature)),
      );
      showStatuses(projectId, grid, data.results);
      const filtered = [
        roleFilter.value ? ` with role ${roleFilter.value}` : "",
        filter ? ` with ${filter.feature} in range` : "",
      ].join("");
      say(
        empty,
        data.count
          ? ""
          : `No items${filtered} yet.${canUpload && !filtered ? " Add images above." : ""}`,
      );
      pager.hidden = pages <= 1;
      pagerText.textContent = `Page ${current} of ${pages} · ${plural(data.count, "item")}`;
      previous.disabled = !data.previous;
      next.disabled = !data.next;
      return { count: data.count, role: roleFilter.value };
    } catch (error) {
      if (ticket !== loading) return null;
      if (features?.showError(error)) {
        replace(grid); // the refused filter's items are not the ones on screen
        pager.hidden = true;
        say(empty, "");
      } else say(errorBox, `Could not load items: ${errorText(error)}`, "error");
      return null;
    } finally {
      if (ticket === loading) grid.removeAttribute("aria-busy");
    }
  };

  previous.addEventListener("click", () => load(current - 1));
  next.addEventListener("click", () => load(current + 1));
  roleFilter.addEventListener("change", () => load(1));
  return { load };
}
