// @ts-check
/**
 * The training course in front of the queue (annotate.training): the guidelines with a "Start
 * training" step, each training item followed by its feedback (feedback.js), the qualification
 * exam's intro, its scoring and verdict, and the wait after a failure. The queue itself hands
 * out the training and exam items; this module only asks the server where the annotator stands
 * (GET projects/{id}/training/) and shows the screen that goes with it.
 */

import { ApiError } from './api.js';
import { FeedbackLayer, OUTCOMES, describeError } from './feedback.js';
import { keymap } from './keymap.js';
import { renderMarkdown } from './markdown.js';

/**
 * @typedef {{stage: string, training: {total: number, done: number},
 *   exam: {required: boolean, items: number, done: number, pass_accuracy: number,
 *   retry_minutes: number, retry_at: string|null, message: string,
 *   attempts: Array<{items: number, accuracy: number|null, passed: boolean|null}>}}} CourseStatus
 * @typedef {{label: string, action: string, primary?: boolean, testid: string}} ScreenAction
 */

const SCORING_POLL_MS = 800;

/**
 * @param {string} tag
 * @param {Record<string, string>} [attributes]
 * @param {Array<Node|string>} [children]
 */
function el(tag, attributes = {}, children = []) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'testid') element.dataset.testid = value;
    else element.setAttribute(key, value);
  }
  element.append(...children);
  return element;
}

/** @param {number|null|undefined} value */
const percent = (value) => (value === null || value === undefined ? '–' : `${Math.round(value * 100)}%`);

export class Course {
  /**
   * @param {{api: import('./api.js').Api, projectId: number, guidelines: string,
   *   stage: HTMLElement, canvas: import('./canvas.js').CanvasView,
   *   state: import('./state.js').State, setPhase: (phase: any) => void,
   *   controls: HTMLElement[], position: HTMLElement, itemName: HTMLElement}} options
   */
  constructor(options) {
    this.options = options;
    this.layer = new FeedbackLayer(options.canvas);
    /** @type {CourseStatus|null} */
    this.status = null;
    /** The stage seen when the current item was handed out. */
    this.itemStage = 'work';
    this.startedTraining = false;
    /** @type {((action: string) => void)|null} resolves the screen on show */
    this.resolve = null;
    this.screen = el('div', { class: 'course-screen', testid: 'course-screen', hidden: '' });
    this.panel = el('aside', { class: 'feedback-panel', testid: 'feedback-panel', hidden: '' });
    options.stage.append(this.screen, this.panel);
    window.addEventListener('keydown', (event) => this.onKey(event));
  }

  async fetchStatus() {
    const response = await this.options.api.request('GET', `projects/${this.options.projectId}/training/`);
    this.status = /** @type {CourseStatus} */ (await response.json());
    return this.status;
  }

  /**
   * Shows screens until the queue may be asked for an item: true then, false when the
   * annotator has to wait (the screen stays).
   * @returns {Promise<boolean>}
   */
  async ready() {
    const previous = this.status?.stage;
    for (;;) {
      const status = await this.fetchStatus();
      this.options.controls.forEach((control) => {
        control.hidden = status.stage !== 'work';
      });
      if (status.stage === 'training') {
        if (status.training.done === 0 && !this.startedTraining) {
          await this.showGuidelines(status);
          this.startedTraining = true;
        }
        return this.handOut(status);
      }
      if (status.stage === 'exam') return this.handOut(status);
      if (status.stage === 'exam_ready') {
        await this.show(this.examIntro(status));
        try {
          await this.options.api.request('POST', `projects/${this.options.projectId}/training/exam/`);
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          await this.show(this.message('Could not start the exam', error.message, []));
          return false;
        }
        continue;
      }
      if (status.stage === 'exam_scoring') {
        this.showNow(this.message('Scoring your exam…', 'This takes a moment.', []));
        await new Promise((resolve) => setTimeout(resolve, SCORING_POLL_MS));
        continue;
      }
      if (status.stage === 'exam_wait') {
        this.showNow(this.verdict(status));
        return false;
      }
      if (previous && previous !== 'work' && status.exam.required && status.exam.attempts.length) {
        await this.show(this.verdict(status));
      } else if (previous === 'training') {
        await this.show(
          this.message('Training complete', 'Well done. Real work starts now.', [
            { label: 'Start labeling', action: 'continue', primary: true, testid: 'course-continue' },
          ]),
        );
      }
      return this.handOut(status);
    }
  }

  /** @param {CourseStatus} status */
  handOut(status) {
    this.itemStage = status.stage;
    this.hide();
    return true;
  }

  /** The position text for the item handed out, or '' for real work. */
  positionText() {
    const status = this.status;
    if (!status) return '';
    if (this.itemStage === 'training')
      return `Training ${Math.min(status.training.done + 1, status.training.total)} of ${status.training.total}`;
    if (this.itemStage === 'exam') return `Exam ${status.exam.done + 1} of ${status.exam.items}`;
    return '';
  }

  /**
   * After a submit: a training item shows its feedback until "Continue".
   * @param {{id: number, name: string}} item
   * @param {import('./state.js').Shape[]} shapes what was submitted
   */
  async afterSubmit(item, shapes) {
    if (this.itemStage !== 'training') return;
    const response = await this.options.api.request('GET', `items/${item.id}/feedback/`);
    const feedback = await response.json();
    const { state, setPhase } = this.options;
    state.readOnly = true;
    state.load([]);
    setPhase('feedback');
    this.layer.show(feedback.gold_shapes, shapes, feedback.score.matches);
    this.renderPanel(item, feedback.score);
    this.panel.hidden = false;
    this.layer.insetRight = this.panel.offsetWidth + 24;
    await new Promise((resolve) => {
      this.resolve = resolve;
    });
    this.resolve = null;
    this.panel.hidden = true;
    this.layer.clear();
    state.readOnly = false;
  }

  /**
   * @param {{name: string}} item
   * @param {{precision: number, recall: number, accuracy: number, mean_iou: number|null,
   *   tp: number, class_errors: number, fp: number, fn: number, matches: any[]}} score
   */
  renderPanel(item, score) {
    const figure = (/** @type {string} */ name, /** @type {string} */ label, /** @type {string} */ value) =>
      el('div', { class: 'feedback-figure' }, [
        el('dt', {}, [label]),
        el('dd', { testid: `feedback-${name}` }, [value]),
      ]);
    const counts = { tp: score.tp, class_error: score.class_errors, fp: score.fp, fn: score.fn };
    const legend = el(
      'ul',
      { class: 'feedback-legend' },
      [
        el('li', {}, [el('span', { class: 'swatch swatch-gold' }), 'Answer (dashed)']),
        ...Object.entries(OUTCOMES).map(([outcome, { name, text }]) =>
          el('li', { testid: `feedback-count-${name}` }, [
            el('span', { class: `swatch swatch-${name}` }),
            `${text} `,
            el('strong', {}, [String(counts[/** @type {keyof typeof counts} */ (outcome)])]),
          ]),
        ),
      ],
    );
    const errors = score.matches.filter((match) => match.outcome !== 'tp').length;
    const errorText = el('p', { class: 'feedback-error', testid: 'feedback-error-text' }, [
      errors ? `${errors} error${errors === 1 ? '' : 's'}: press ${keymap.keysOf('feedback.nextError')[0]} to see each.` : 'No errors: a perfect match.',
    ]);
    const next = el('button', {
      type: 'button',
      class: 'button',
      testid: 'feedback-next-error',
      'data-action': 'feedback.nextError',
      'data-show-key': '',
    }, ['Next error']);
    next.toggleAttribute('disabled', errors === 0);
    next.addEventListener('click', () => this.nextError(errorText));
    const done = el('button', {
      type: 'button',
      class: 'button primary',
      testid: 'feedback-continue',
      'data-action': 'feedback.continue',
    }, ['Continue']);
    done.addEventListener('click', () => this.resolve?.('continue'));
    this.panel.replaceChildren(
      el('h2', {}, ['Training feedback']),
      el('p', { class: 'muted' }, [`${item.name}: your shapes over the answer.`]),
      el('dl', { class: 'feedback-scores' }, [
        figure('precision', 'Precision', percent(score.precision)),
        figure('recall', 'Recall', percent(score.recall)),
        figure('accuracy', 'Accuracy', percent(score.accuracy)),
        figure('mean-iou', 'Mean IoU', score.mean_iou === null ? '–' : score.mean_iou.toFixed(2)),
      ]),
      legend,
      errorText,
      el('div', { class: 'feedback-actions' }, [next, done]),
    );
    keymap.decorate(this.panel);
  }

  /** @param {HTMLElement} text */
  nextError(text) {
    const match = this.layer.nextError();
    if (match) text.textContent = `${this.layer.current + 1} of ${this.layer.errors.length}. ${describeError(match)}`;
  }

  /** @param {KeyboardEvent} event */
  onKey(event) {
    if (this.panel.hidden && this.screen.hidden) return;
    const help = document.querySelector('[data-testid="help-overlay"]');
    if (help && !(/** @type {HTMLElement} */ (help).hidden)) return;
    const actions = keymap.matchAll(event).map((match) => match.action);
    if (!this.panel.hidden && actions.includes('feedback.nextError')) {
      event.preventDefault();
      this.nextError(/** @type {HTMLElement} */ (this.panel.querySelector('[data-testid="feedback-error-text"]')));
    } else if (actions.includes('feedback.continue') && this.resolve) {
      event.preventDefault();
      this.resolve('continue');
    }
  }

  // --- screens -------------------------------------------------------------------------------

  /** @param {CourseStatus} status */
  async showGuidelines(status) {
    const body = el('div', { class: 'markdown course-guidelines', testid: 'course-guidelines' });
    body.innerHTML = renderMarkdown(this.options.guidelines || 'This project has no written guidelines.');
    const exam = status.exam.required
      ? ` Then a qualification exam of ${status.exam.items} items, scored without feedback, decides whether you can start real work.`
      : '';
    await this.show(
      this.card('Training', [
        el('p', {}, [
          `Read the guidelines, then label ${status.training.total} training item${status.training.total === 1 ? '' : 's'}. After each one you see your work against the answer.${exam}`,
        ]),
        body,
      ], [{ label: 'Start training', action: 'start', primary: true, testid: 'start-training' }]),
    );
  }

  /** @param {CourseStatus} status */
  examIntro(status) {
    return this.card('Qualification exam', [
      el('p', {}, [
        `You finished the training. The exam has ${status.exam.items} items, labeled like real work and scored without feedback. You pass with a mean accuracy of ${percent(status.exam.pass_accuracy)}.`,
      ]),
    ], [{ label: 'Start the exam', action: 'start', primary: true, testid: 'start-exam' }]);
  }

  /** @param {CourseStatus} status */
  verdict(status) {
    const last = status.exam.attempts[status.exam.attempts.length - 1];
    if (last && last.passed) {
      return this.card('You passed the qualification exam', [
        el('p', { testid: 'exam-result' }, [`Your accuracy: ${percent(last.accuracy)} (needed ${percent(status.exam.pass_accuracy)}). Real work starts now.`]),
      ], [{ label: 'Start labeling', action: 'continue', primary: true, testid: 'course-continue' }]);
    }
    return this.card('Not passed yet', [
      el('p', { testid: 'exam-result' }, [`Your accuracy: ${percent(last?.accuracy)} (needed ${percent(status.exam.pass_accuracy)}).`]),
      el('p', { testid: 'exam-wait' }, [status.exam.message]),
      el('p', { class: 'muted' }, ['Read the guidelines again in the meantime.']),
    ], []);
  }

  /** @param {string} title @param {string} text @param {ScreenAction[]} actions */
  message(title, text, actions) {
    return this.card(title, [el('p', {}, [text])], actions);
  }

  /** @param {string} title @param {Node[]} body @param {ScreenAction[]} actions */
  card(title, body, actions) {
    const buttons = actions.map((action) => {
      const button = el('button', {
        type: 'button',
        class: action.primary ? 'button primary' : 'button',
        testid: action.testid,
        'data-action': 'feedback.continue',
      }, [action.label]);
      button.addEventListener('click', () => this.resolve?.(action.action));
      return button;
    });
    const back = el('a', { class: 'button', href: `/projects/${this.options.projectId}/` }, ['Back to the project']);
    return el('div', { class: 'course-card' }, [
      el('h2', { testid: 'course-title' }, [title]),
      ...body,
      el('div', { class: 'course-actions' }, [...buttons, back]),
    ]);
  }

  /** Shows a screen that waits for nothing. @param {HTMLElement} card */
  showNow(card) {
    this.options.setPhase('course');
    this.options.state.load([]);
    this.options.canvas.setImage(null);
    this.options.position.textContent = '';
    this.options.itemName.textContent = card.querySelector('h2')?.textContent || '';
    this.screen.replaceChildren(card);
    this.screen.hidden = false;
  }

  /**
   * Shows a screen until one of its buttons is pressed.
   * @param {HTMLElement} card
   * @returns {Promise<string>}
   */
  async show(card) {
    this.showNow(card);
    const action = await new Promise((resolve) => {
      this.resolve = resolve;
    });
    this.resolve = null;
    this.screen.hidden = true;
    this.options.setPhase('loading');
    return /** @type {string} */ (action);
  }

  hide() {
    this.screen.hidden = true;
  }
}
