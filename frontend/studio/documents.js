// @ts-check
/**
 * Opening someone's document read-only: by id, or the next one in the reviewer's queue.
 */

/**
 * @param {import('./page.js').Core} core
 * @param {{review: import('./review.js').Review, setTool: (name: string) => void,
 *   setPhase: (phase: import('./phase.js').Phase) => void}} parts
 */
export function createDocuments(core, { review, setTool, setPhase }) {
  const { config, ui, api, state, canvas, session, setDocStatus } = core;

  /**
   * Opens a document by id, read-only; its reviewers and managers review it while submitted.
   * @param {import('./api.js').AnnotationDoc & {id: number}} doc
   */
  async function openDocument(doc) {
    setPhase('loading');
    const item = await api.item(doc.item);
    const image = await api.image(item);
    session.item = item;
    state.readOnly = true;
    setTool('select'); // nothing is drawn here: clicks select shapes to look at or comment on
    state.load(doc.shapes);
    canvas.setImage(image);
    setDocStatus(doc.status);
    ui.docVersion.textContent = String(doc.version);
    ui.itemName.textContent = `${item.name} · ${doc.annotator}`;
    ui.itemName.title = `Item ${item.id}, annotation ${doc.id}`;
    ui.imageSize.textContent = `${image.width}×${image.height}`;
    setPhase('ready');
    const reviewing =
      doc.status === 'submitted' && doc.annotator !== config.username && config.role !== 'annotator';
    await review.show(doc, { reviewing });
  }

  /** @param {number} documentId */
  async function documentById(documentId) {
    return (await api.request('GET', `annotations/${documentId}/`)).json();
  }

  async function nextToReview() {
    setPhase('loading');
    const response = await api.request('POST', `projects/${config.projectId}/review/next/`);
    if (response.status === 204) {
      session.item = null;
      state.load([]);
      canvas.setImage(null);
      review.clear();
      ui.itemName.textContent = 'Review finished';
      const text = ui.queueEmpty.querySelector('p');
      if (text) text.textContent = 'No submitted annotations are waiting for your review.';
      setPhase('empty');
      return;
    }
    await openDocument(await response.json());
  }

  return { openDocument, documentById, nextToReview };
}
