// @ts-check
/**
 * Leaving an item: submit (then the queue's next one), skip, go back to the previous one, or
 * reload the saved version after a conflict. Each waits for the saver to settle first.
 */

import { describeError } from './phase.js';

/**
 * @param {import('./page.js').Core} core
 * @param {{attributes: import('./panels.js').AttributeEditor,
 *   goldSaver: import('./gold.js').GoldSaver|null, itemHistory: import('./history.js').ItemHistory,
 *   previousItemId: () => number|null, setBusy: (busy: boolean) => void,
 *   openItem: (item: import('./api.js').Item) => Promise<void>,
 *   nextFromQueue: () => Promise<void>, course: () => import('./training.js').Course|null}} parts
 */
export function createNavigation(core, parts) {
  const { queueMode, ui, api, state, saver, session, say, setDocStatus } = core;
  const { attributes, goldSaver, itemHistory, previousItemId, setBusy, openItem, nextFromQueue } =
    parts;

  /** Saves, submits, and moves on to the next item (queue) or stays (single item). */
  async function submit() {
    const item = session.item;
    if (goldSaver) {
      attributes.commit();
      await goldSaver.saveNow(); // Mod+Enter saves the gold answer: there is nothing to submit
      return;
    }
    if (!item || session.busy || state.readOnly) return;
    attributes.commit(); // a field being typed in: its value is part of what is submitted
    setBusy(true);
    try {
      if (!(await saver.settle())) {
        say(
          saver.status === 'offline'
            ? 'Cannot submit while offline. Your changes are kept locally.'
            : 'Cannot submit until the changes are saved.',
          'error',
        );
        return;
      }
      const doc = await api.submit(item.id);
      saver.version = doc.version;
      ui.docVersion.textContent = String(doc.version);
      setDocStatus(doc.status);
      if (queueMode) {
        say(`Submitted ${item.name}.`);
        const course = parts.course();
        if (course) await course.afterSubmit(item, state.list());
        await nextFromQueue();
      } else {
        say('Submitted.');
      }
    } catch (error) {
      say(`Not submitted: ${describeError(error)}`, 'error');
    } finally {
      setBusy(false);
    }
  }

  /** Saves, then reopens the item this tab had before the current one. */
  async function previous() {
    const target = previousItemId();
    if (!queueMode || target === null || session.busy) return;
    setBusy(true);
    try {
      if (!state.readOnly && !(await saver.settle())) {
        say('Cannot leave this item until the changes are saved.', 'error');
        return;
      }
      const item = await api.item(target);
      // What came after it is forgotten: the queue hands that item out again after this one.
      itemHistory.truncateAfter(target);
      session.revisiting = true;
      await openItem(item);
    } catch (error) {
      say(`Could not open the previous item: ${describeError(error)}`, 'error');
    } finally {
      setBusy(false);
    }
  }

  /** Gives the item back to the queue (after saving what was drawn) and opens the next one. */
  async function skip() {
    const item = session.item;
    if (!queueMode || !item || session.busy) return;
    setBusy(true);
    try {
      if (!state.readOnly && !(await saver.settle())) {
        say('Cannot skip until the changes are saved.', 'error');
        return;
      }
      await api.skip(item.id);
      say(`Skipped ${item.name}.`);
      await nextFromQueue();
    } catch (error) {
      say(`Not skipped: ${describeError(error)}`, 'error');
    } finally {
      setBusy(false);
    }
  }

  async function reloadFromServer() {
    const item = session.item;
    if (!item) return;
    saver.discardLocal();
    try {
      const { doc, version } = await api.annotation(item.id);
      state.readOnly = doc.status === 'accepted';
      state.load(doc.shapes);
      saver.attach(item.id, version);
      setDocStatus(doc.status);
      setBusy(session.busy); // the submit button follows read-only
      say(`Loaded version ${version} from the server.`);
    } catch (error) {
      say(`Could not reload: ${describeError(error)}`, 'error');
    }
  }

  return { submit, previous, skip, reloadFromServer };
}
