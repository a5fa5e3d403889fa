// @ts-check
/**
 * The members panel: everyone with a role in the project; managers add, re-role and remove,
 * see each annotator's record (training, exam, qualification, pause, hidden gold), promote an
 * annotator to reviewer, create annotator accounts and one-time invite links.
 */

import {
  accountCreate,
  inviteCreate,
  memberRecords,
  memberRemove,
  memberSet,
  membersList,
} from "./api.js";
import { $, errorText, formatTime, h, replace, say } from "./dom.js";
import { whileDisabled } from "./panel.js";

/**
 * @typedef {import("./api.js").Member} Member
 * @typedef {{items: number, accuracy: number | null, passed: boolean | null,
 *   started_at: string, finished_at: string | null}} ExamAttempt
 * @typedef {{user_id: number, username: string, role: string, stage: string,
 *   training_total: number, training_done: number, training_completed_at: string | null,
 *   qualified_at: string | null, exam_retry_at: string | null, exam_attempts: ExamAttempt[],
 *   paused_at: string | null, paused_reason: string, gold_scored: number,
 *   gold_accuracy: number | null}} MemberRecord
 */

/** @param {number | null | undefined} value */
const percent = (value) => (value === null || value === undefined ? "–" : `${Math.round(value * 100)}%`);

const STAGE_TEXT = {
  training: "In training",
  exam_ready: "Exam to take",
  exam: "Taking the exam",
  exam_scoring: "Exam being scored",
  exam_wait: "Failed, waiting to retry",
  work: "Working",
};

/** The record cells of an annotator's row (managers). @param {MemberRecord | undefined} record */
function recordCells(record) {
  if (!record || record.role !== "annotator") {
    return [h("td", { class: "muted" }, ""), h("td", {}, ""), h("td", {}, "")];
  }
  const training = record.training_total
    ? `${record.training_done}/${record.training_total}${record.training_completed_at ? " ✓" : ""}`
    : "No training";
  const attempts = record.exam_attempts.filter((attempt) => attempt.finished_at);
  const exam = attempts.length
    ? attempts.map((a) => `${a.passed ? "passed" : "failed"} ${percent(a.accuracy)}`).join(", ")
    : "no attempt";
  const status = record.paused_at
    ? h("span", { class: "badge danger", title: record.paused_reason, testid: "member-status" }, "Paused")
    : record.qualified_at
      ? h("span", { class: "badge ok", testid: "member-status" }, "Qualified")
      : h(
          "span",
          { class: "badge", testid: "member-status" },
          STAGE_TEXT[/** @type {keyof typeof STAGE_TEXT} */ (record.stage)] || record.stage,
        );
  return [
    h(
      "td",
      { testid: "member-training" },
      training,
      h("div", { class: "muted small", testid: "member-exam" }, `Exam: ${exam}`),
    ),
    h(
      "td",
      {},
      status,
      record.paused_at ? h("div", { class: "muted small" }, record.paused_reason) : null,
      record.exam_retry_at && !record.qualified_at
        ? h("div", { class: "muted small" }, `Retry from ${formatTime(record.exam_retry_at)}`)
        : null,
    ),
    h(
      "td",
      { testid: "member-gold" },
      record.gold_scored
        ? `${percent(record.gold_accuracy)} over ${record.gold_scored}`
        : h("span", { class: "muted" }, "none yet"),
    ),
  ];
}

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
  /** @type {Map<number, MemberRecord>} */
  let records = new Map();

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
              const changed = await whileDisabled(select, listError, async () => {
                member.role = (await memberSet(projectId, member.username, select.value)).role;
                say(listError, "");
              });
              if (!changed) select.value = member.role;
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
              onclick: (/** @type {Event} */ event) =>
                whileDisabled(/** @type {HTMLButtonElement} */ (event.currentTarget), listError, async () => {
                  await memberRemove(projectId, member.user_id);
                  members = members.filter((other) => other.user_id !== member.user_id);
                  render();
                }),
            },
            "Remove",
          )
        : null;
    const promote =
      canManage && member.role === "annotator"
        ? h(
            "button",
            {
              type: "button",
              class: "button small",
              testid: "member-promote",
              title: `Make ${member.username} a reviewer`,
              onclick: (/** @type {Event} */ event) =>
                whileDisabled(/** @type {HTMLButtonElement} */ (event.currentTarget), listError, async () => {
                  member.role = (await memberSet(projectId, member.username, "reviewer")).role;
                  render();
                }),
            },
            "Promote to reviewer",
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
      canManage ? recordCells(records.get(member.user_id)) : null,
      h("td", { class: "actions" }, promote, remove),
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
      const [list, recordList] = await Promise.all([
        membersList(projectId),
        canManage ? memberRecords(projectId) : Promise.resolve({ members: [] }),
      ]);
      members = list;
      records = new Map(recordList.members.map((record) => [record.user_id, record]));
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
      say(formError, "");
      nameInput.removeAttribute("aria-invalid");
      const added = await whileDisabled(
        addButton,
        formError,
        async () => {
          const member = await memberSet(projectId, name, roleSelect.value);
          members = [...members.filter((other) => other.user_id !== member.user_id), member];
          render();
          nameInput.value = "";
          nameInput.focus();
        },
        ["username", "role"],
      );
      if (!added) nameInput.setAttribute("aria-invalid", "true");
    });
  }

  if (canManage) onboarding({ projectId, root, load: () => load() });

  return { load };
}

/**
 * A read-only field holding what is shown once (a password, an invite link), selected on focus
 * for copying.
 * @param {string} value @param {string} testid @param {string} label
 */
const secret = (value, testid, label) =>
  h("input", {
    class: "mono secret",
    readOnly: true,
    value,
    testid,
    "aria-label": label,
    onfocus: (/** @type {Event} */ e) => /** @type {HTMLInputElement} */ (e.target).select(),
  });

/**
 * The manager's two ways in for new annotators: an account whose generated password is shown
 * once, and a one-time invite link.
 * @param {{projectId: number, root: HTMLElement, load: () => Promise<void>}} options
 */
function onboarding({ projectId, root, load }) {
  const accountForm = /** @type {HTMLFormElement} */ ($("[data-testid=account-form]", root));
  const accountName = /** @type {HTMLInputElement} */ ($("[data-testid=account-username]", accountForm));
  const accountButton = /** @type {HTMLButtonElement} */ ($("[data-testid=account-create]", accountForm));
  const accountError = $("[data-testid=account-error]", accountForm);
  const accountResult = $("[data-testid=account-result]", accountForm);
  accountForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = accountName.value.trim();
    if (!name) return;
    say(accountError, "");
    accountResult.hidden = true;
    await whileDisabled(accountButton, accountError, async () => {
      const account = await accountCreate(projectId, name);
      replace(
        accountResult,
        h("p", {}, "Account ", h("strong", {}, account.username), " created. Its password, shown only now:"),
        secret(account.password, "account-password", "Password"),
      );
      accountResult.hidden = false;
      accountName.value = "";
      await load();
    }, ["username"]);
  });

  const inviteButton = /** @type {HTMLButtonElement} */ ($("[data-testid=invite-create]", root));
  const inviteDays = /** @type {HTMLInputElement} */ ($("[data-testid=invite-days]", root));
  const inviteResult = $("[data-testid=invite-result]", root);
  const inviteError = $("[data-testid=invite-error]", root);
  inviteButton.addEventListener("click", async () => {
    say(inviteError, "");
    await whileDisabled(inviteButton, inviteError, async () => {
      const invite = await inviteCreate(projectId, Number(inviteDays.value) || 7);
      replace(
        inviteResult,
        h("p", {}, `One-time link, valid until ${formatTime(invite.expires_at)}:`),
        secret(invite.url, "invite-url", "Invite link"),
      );
      inviteResult.hidden = false;
    }, ["days"]);
  });
}
