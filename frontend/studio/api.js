// @ts-check
/**
 * The studio's only network module: JSON calls to /api/v1/ with the session cookie, the CSRF
 * header on unsafe methods, If-Match on saves, and one error type for everything that fails.
 */

/**
 * @typedef {{sha256: string, size: number, mime: string, width: number, height: number}} Asset
 * @typedef {{id: number, project: number, name: string, role?: string, split: string,
 *   metadata: object, asset: Asset, image_url: string, thumbnail_url: string}} Item
 * @typedef {{id: number|null, item: number, annotator: string, kind: string,
 *   status: 'draft'|'submitted'|'accepted'|'rejected', version: number,
 *   shapes: import('./state.js').Shape[]}} AnnotationDoc
 */

const SAVE_TIMEOUT_MS = 15000;

/** A request that reached the server and was refused (HTTP status >= 400). */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {any} body the parsed JSON error ({detail, errors, ...}) or null
   */
  constructor(status, body) {
    super((body && typeof body.detail === 'string' && body.detail) || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.body = body || {};
  }
}

/** The request never got an answer (offline, DNS, timeout, server down behind a proxy). */
export class NetworkError extends Error {
  /** @param {unknown} cause */
  constructor(cause) {
    super('The server could not be reached.');
    this.name = 'NetworkError';
    this.cause = cause;
  }
}

/** @returns {string} */
function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  // The cookie may be HttpOnly on some deployments; every page with a form carries the token.
  const input = /** @type {HTMLInputElement|null} */ (
    document.querySelector('input[name="csrfmiddlewaretoken"]')
  );
  return input ? input.value : '';
}

/**
 * @param {Response} response
 * @returns {number|null} the version carried by the ETag header ("N" or W/"N")
 */
function etagVersion(response) {
  const etag = response.headers.get('ETag');
  const match = etag && etag.match(/(\d+)/);
  return match ? Number(match[1]) : null;
}

export class Api {
  /** @param {string} root e.g. "/api/v1/" */
  constructor(root) {
    this.root = root.endsWith('/') ? root : `${root}/`;
    /** Saves go as PATCH change sets; false falls back to PUTting every shape. */
    this.supportsPatch = true;
  }

  /**
   * @param {string} method
   * @param {string} path relative to the API root
   * @param {{body?: any, headers?: Record<string,string>, timeout?: number, keepalive?: boolean}} [options]
   *   keepalive: the request outlives the page (a save sent while leaving it)
   * @returns {Promise<Response>}
   */
  async request(method, path, options = {}) {
    /** @type {Record<string,string>} */
    const headers = { Accept: 'application/json', ...(options.headers || {}) };
    if (method !== 'GET' && method !== 'HEAD') headers['X-CSRFToken'] = csrfToken();
    /** @type {RequestInit} */
    const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(options.body);
    }
    if (options.timeout) init.signal = AbortSignal.timeout(options.timeout);
    if (options.keepalive) init.keepalive = true;
    let response;
    try {
      response = await fetch(this.root + path, init);
    } catch (error) {
      throw new NetworkError(error);
    }
    if (response.status >= 500 && response.status !== 501) {
      // A proxy or a restarting server: worth retrying like a dropped connection.
      throw new NetworkError(new Error(`HTTP ${response.status}`));
    }
    if (!response.ok) {
      let body = null;
      try {
        body = await response.json();
      } catch {
        body = null;
      }
      throw new ApiError(response.status, body);
    }
    return response;
  }

  /**
   * The caller's next item, or null when the queue is empty.
   * @param {number} projectId
   * @returns {Promise<Item|null>}
   */
  async queueNext(projectId) {
    const response = await this.request('POST', `projects/${projectId}/queue/next/`);
    return response.status === 204 ? null : response.json();
  }

  /**
   * How many items the caller may label in the project, and their ids in order when they fit
   * in one page (the position "item n of N" is read from them).
   * @param {number} projectId
   * @returns {Promise<{count: number, ids: number[]|null}>}
   */
  async projectItems(projectId) {
    const response = await this.request('GET', `projects/${projectId}/items/?page_size=1000`);
    const page = await response.json();
    const complete = !page.next;
    return {
      count: page.count,
      ids: complete ? page.results.map((/** @type {Item} */ item) => item.id) : null,
    };
  }

  /** @param {number} itemId @returns {Promise<Item>} */
  async item(itemId) {
    return (await this.request('GET', `items/${itemId}/`)).json();
  }

  /**
   * @param {number} itemId
   * @returns {Promise<{doc: AnnotationDoc, version: number}>}
   */
  async annotation(itemId) {
    const response = await this.request('GET', `items/${itemId}/annotation/`);
    const doc = await response.json();
    return { doc, version: etagVersion(response) ?? doc.version };
  }

  /**
   * Writes the whole shapes list if the server still holds `version`.
   * @param {number} itemId
   * @param {import('./state.js').Shape[]} shapes
   * @param {number} version
   * @returns {Promise<{doc: AnnotationDoc, version: number}>}
   */
  async saveAnnotation(itemId, shapes, version) {
    const response = await this.request('PUT', `items/${itemId}/annotation/`, {
      body: { shapes },
      headers: { 'If-Match': `"${version}"` },
      timeout: SAVE_TIMEOUT_MS,
    });
    const doc = await response.json();
    return { doc, version: etagVersion(response) ?? doc.version };
  }

  /**
   * Sends a change set (add / update / delete by shape id) if the server still holds `version`.
   * The answer is short: the new version, content hash and status, not the shapes.
   * @param {number} itemId
   * @param {{add: import('./state.js').Shape[], update: import('./state.js').Shape[], delete: string[]}} changeSet
   * @param {number} version
   * @returns {Promise<{doc: {version: number, content_hash?: string, status: string}, version: number}>}
   */
  async patchAnnotation(itemId, changeSet, version) {
    const response = await this.request('PATCH', `items/${itemId}/annotation/`, {
      body: changeSet,
      headers: { 'If-Match': `"${version}"` },
      timeout: SAVE_TIMEOUT_MS,
    });
    const doc = await response.json();
    return { doc, version: etagVersion(response) ?? doc.version };
  }

  /** @param {number} itemId @returns {Promise<AnnotationDoc>} */
  async submit(itemId) {
    return (await this.request('POST', `items/${itemId}/annotation/submit/`)).json();
  }

  /** @param {number} itemId @returns {Promise<void>} */
  async skip(itemId) {
    await this.request('POST', `items/${itemId}/skip/`);
  }

  /**
   * GrabCut's outline of the object inside a box, as a polygon or a mask.
   * @param {number} itemId
   * @param {number[]} box [x, y, w, h] in image pixels
   * @param {'polygon'|'mask'} output
   * @returns {Promise<{found: boolean, detail?: string, kind?: string, points?: number[], rle?: any}>}
   */
  async assist(itemId, box, output) {
    return (await this.request('POST', `items/${itemId}/assist/`, { body: { box, output } })).json();
  }

  /**
   * Every prediction source's shapes for the item, each with its score (null when unscored).
   * @param {number} itemId
   * @returns {Promise<Array<{shape: import('./state.js').Shape, score: number|null, source: string}>>}
   */
  async predictions(itemId) {
    const response = await this.request('GET', `items/${itemId}/predictions/?page_size=100`);
    const page = await response.json();
    return page.results.flatMap((/** @type {any} */ row) =>
      row.shapes.map((/** @type {import('./state.js').Shape} */ shape) => ({
        shape,
        score: typeof row.scores[shape.id] === 'number' ? row.scores[shape.id] : null,
        source: row.source,
      })),
    );
  }

  /**
   * Loads and decodes the item's image into an ImageBitmap. The bytes are fetched and decoded
   * off the main thread (createImageBitmap of a Blob): an <img> decodes a 12-megapixel photo on
   * the main thread, and again on its first draw, which held the studio's first frame for
   * hundreds of milliseconds. Where the bytes cannot be fetched (a signed object-store URL on
   * another origin without CORS), the <img> element is the fallback.
   * @param {{id: number, image_url?: string}} item the item, or only its id (its image's URL
   *   is the API's, unless the record names another)
   * @returns {Promise<ImageBitmap>}
   */
  async image(item) {
    const url = item.image_url || `${this.root}items/${item.id}/image/`;
    let blob = null;
    try {
      const response = await fetch(url, { credentials: 'same-origin' });
      if (response.ok) blob = await response.blob();
    } catch {
      blob = null; // another origin, or offline: the <img> below says which
    }
    if (blob) {
      try {
        return await createImageBitmap(blob);
      } catch {
        // not decodable here: let the <img> element try, it reports the failure the same way
      }
    }
    const image = new Image();
    image.decoding = 'async';
    image.src = url;
    try {
      await image.decode();
      return await createImageBitmap(image);
    } catch (error) {
      throw new NetworkError(error);
    }
  }
}
