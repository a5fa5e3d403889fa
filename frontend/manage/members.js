// @ts-check
/** The members panel: everyone with a role in the project; managers add, re-role and remove. */

import { ApiError, memberRemove, memberSet, membersList } from "./api.js";
import { $, errorText, h, replace, say } from "./dom.js";

/** @typedef {import("./api.js").Member} Member */

const ROLES = ["annotator", "reviewer", "manager"];
const ROLE_ORDER = { manager: 0, reviewer: 1, annotator: 2 };

/** @param {string} text */
const capitalize = (text) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * @param {{projectId: number, root: HTMLElement, canManage: boolean, username: string}} options
 * @returns {{load: () => Promise<void>}}
 */
export function membersPanel({ projectId, root, canManage, username }) {
  const body = $("[data-testid=member-list] tbody", root);
  const listError = $("[data-testid=members-error]", root);
  /** @type {Member[]} */
  let members = [];

  /** @param {Member} member */
  const row = (member) => {
    const self = member.username === username;
    const roleCell = canManage && !self
      ? h(
          "select",
          {
            testid: "member-role-select",
            "aria-label": `Role of ${member.username}`,
            onchange: async (/** @type {Event} */ event) => {
              const select = /** @type {HTMLSelectElement} */ (event.target);
              select.disabled = true;
              try {
                const updated = await memberSet(projectId, member.username, select.value);
                member.role = updated.role;
                say(listError, "");
              } catch (error) {
                select.value = member.role;
                say(listError, errorText(error), "error");
              } finally {
                select.disabled = false;
              }
            },
          },
          ROLES.map((role) =>
            h("option", { value: role, selected: role === member.role }, capitalize(role)),
          ),
        )
      : h("span", { class: "badge" }, member.role);
    const remove =
      canManage && !self
        ? h(
            "button",
            {
              type: "button",
              class: "button small danger-outline",
              testid: "member-remove",
              onclick: async (/** @type {Event} */ event) => {
                const button = /** @type {HTMLButtonElement} */ (event.currentTarget);
                button.disabled = true;
                try {
                  await memberRemove(projectId, member.user_id);
                  members = members.filter((other) => other.user_id !== member.user_id);
                  render();
                } catch (error) {
                  button.disabled = false;
                  say(listError, errorText(error), "error");
                }
              },
            },
            "Remove",
          )
        : null;
    return h(
      "tr",
      { testid: "member-row", "data-username": member.username, "data-role": member.role },
      h(
        "td",
        {},
        h("span", { class: "avatar", "aria-hidden": "true" }, member.username.charAt(0)),
        h("span", { class: "member-name", testid: "member-name" }, member.username),
        self ? h("span", { class: "muted small" }, " (you)") : null,
      ),
      h("td", {}, roleCell),
      h("td", { class: "actions" }, remove),
    );
  };

  const render = () => {
    members.sort(
      (a, b) =>
        ROLE_ORDER[/** @type {keyof typeof ROLE_ORDER} */ (a.role)] -
          ROLE_ORDER[/** @type {keyof typeof ROLE_ORDER} */ (b.role)] ||
        a.username.localeCompare(b.username),
    );
    replace(body, members.map(row));
  };

  const load = async () => {
    try {
      members = await membersList(projectId);
      say(listError, "");
      render();
    } catch (error) {
      say(listError, `Could not load members: ${errorText(error)}`, "error");
    }
  };

  if (canManage) {
    const form = /** @type {HTMLFormElement} */ ($("[data-testid=member-form]", root));
    const nameInput = /** @type {HTMLInputElement} */ ($("[data-testid=member-username]", form));
    const roleSelect = /** @type {HTMLSelectElement} */ ($("[data-testid=member-role]", form));
    const addButton = /** @type {HTMLButtonElement} */ ($("[data-testid=member-add]", form));
    const formError = $("[data-testid=member-error]", form);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const name = nameInput.value.trim();
      if (!name) return;
      addButton.disabled = true;
      say(formError, "");
      nameInput.removeAttribute("aria-invalid");
      try {
        const member = await memberSet(projectId, name, roleSelect.value);
        members = [...members.filter((other) => other.user_id !== member.user_id), member];
        render();
        nameInput.value = "";
        nameInput.focus();
      } catch (error) {
        const message = error instanceof ApiError ? error.messageFor("username", "role") : null;
        say(formError, message || errorText(error), "error");
        nameInput.setAttribute("aria-invalid", "true");
      } finally {
        addButton.disabled = false;
      }
    });
  }

  return { load };
}
