// @ts-check
/**
 * Long-running jobs (snapshots, exports): poll GET /api/v1/jobs/{id}/ with backoff until the job
 * succeeds or fails, and show it as a progress bar. Polling pauses while the tab is hidden and
 * stops for good when the page goes away, so a forgotten tab does not keep asking the server.
 */

import { ApiError, jobGet } from "./api.js";
import { h } from "./dom.js";

/** @typedef {import("./api.js").Job} Job */

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 5000;
const BACKOFF = 1.6;
const FINISHED = new Set(["succeeded", "failed"]);

// One switch for every watcher on the page: pagehide (tab closed or navigated away) stops all.
const pageGone = new AbortController();
window.addEventListener("pagehide", (event) => {
  if (!event.persisted) pageGone.abort();
});

/** @param {number} ms @param {AbortSignal} signal @returns {Promise<void>} */
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(done, ms);
    function done() {
      signal.removeEventListener("abort", stop);
      resolve();
    }
    function stop() {
      clearTimeout(timer);
      reject(signal.reason);
    }
    signal.addEventListener("abort", stop, { once: true });
  });
}

/** Resolves at once when the tab is visible, else when it becomes visible again. */
function visible(/** @type {AbortSignal} */ signal) {
  if (!document.hidden) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const shown = () => {
      if (document.hidden) return;
      document.removeEventListener("visibilitychange", shown);
      resolve(undefined);
    };
    document.addEventListener("visibilitychange", shown);
    signal.addEventListener(
      "abort",
      () => {
        document.removeEventListener("visibilitychange", shown);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/** @param {Job} job */
export function isFinished(job) {
  return FINISHED.has(job.status);
}

/**
 * Poll until the job finishes; resolves with the finished job (succeeded or failed). Rejects
 * when the page goes away or `signal` aborts. Network hiccups are retried with the same backoff.
 *
 * @param {Job} job  as the POST that started it answered
 * @param {{onUpdate?: (job: Job) => void, signal?: AbortSignal}} [options]
 * @returns {Promise<Job>}
 */
export async function watchJob(job, { onUpdate, signal } = {}) {
  const stop = signal ? AbortSignal.any([signal, pageGone.signal]) : pageGone.signal;
  let delay = FIRST_DELAY_MS;
  let current = job;
  onUpdate?.(current);
  while (!isFinished(current)) {
    await sleep(delay, stop);
    await visible(stop);
    delay = Math.min(MAX_DELAY_MS, delay * BACKOFF);
    try {
      current = await jobGet(job.id);
    } catch (error) {
      // A lost connection is worth waiting out; a refusal (the job is gone, access revoked) not.
      if (error instanceof ApiError && error.status !== 0 && error.status < 500) throw error;
      continue;
    }
    if (stop.aborted) throw stop.reason;
    onUpdate?.(current);
  }
  return current;
}

const STATE_TEXT = { queued: "Queued", running: "Running", succeeded: "Done", failed: "Failed" };

/**
 * A progress row for a job: label, bar, and state ("Running · 40 / 100").
 * @param {string} label
 * @returns {{element: HTMLElement, update: (job: Job) => void, fail: (message: string) => void}}
 */
export function jobProgress(label) {
  const fill = h("span", { class: "bar-fill" });
  const state = h("span", { class: "job-state", testid: "job-state" }, "Queued");
  const element = h(
    "div",
    {
      class: "job queued",
      role: "progressbar",
      testid: "job-progress",
      "aria-label": label,
      "aria-valuemin": 0,
      "aria-valuemax": 100,
      "aria-valuenow": 0,
    },
    h("span", { class: "job-label" }, label),
    h("span", { class: "bar" }, fill),
    state,
  );

  /** @param {number} percent */
  const show = (percent) => {
    fill.style.width = `${percent}%`; // CSSOM: allowed by the CSP, unlike a style attribute
    element.setAttribute("aria-valuenow", String(Math.round(percent)));
  };

  /** @param {Job} job */
  const update = (job) => {
    const { done, total } = job.progress;
    element.className = `job ${job.status}`;
    element.dataset.status = job.status;
    const text = STATE_TEXT[/** @type {keyof typeof STATE_TEXT} */ (job.status)] || job.status;
    if (job.status === "succeeded") {
      show(100);
      state.textContent = text;
    } else if (job.status === "failed") {
      state.textContent = text;
    } else {
      show(total > 0 ? (100 * Math.min(done, total)) / total : 0);
      state.textContent = total > 0 ? `${text} · ${done} / ${total}` : text;
    }
  };

  /** @param {string} message */
  const fail = (message) => {
    element.className = "job failed";
    element.dataset.status = "failed";
    state.textContent = "Failed";
    element.title = message;
  };

  return { element, update, fail };
}
