// api.js — the one way the Kaz web application talks to the server.
//
//   import {api, ApiError} from './api.js';
//   const me = await api('GET', '/api/me');
//   await api('POST', '/api/libraries', {name: 'rh'});
//   await api.upload('/dav/rh/note.docx', file, {method: 'PUT', onProgress: (sent, total) => …});
//
// api(method, path, body?) resolves with the parsed JSON body (null for an
// empty body) and throws ApiError{status, message} otherwise. message is the
// server's plain-language `error` field, or a bilingual sentence when the
// server cannot be reached at all.
//
// Every call carries Accept-Language with the UI's language (i18n.js lang()),
// so that the server writes its `error` in that language (and the English
// original in `error_en`).
//
// Every state-changing call (anything but GET, HEAD and OPTIONS) carries the
// X-Kaz-CSRF header, whose token comes from GET /api/me's `csrf_token`. The
// token is read once and cached; a call made before it is known fetches
// /api/me first. When the server refuses the token (403 with a stale session
// token), the token is read again and the call retried once.

import {lang} from './i18n.js';

/** Plain words for a network failure, in both languages. */
export const NETWORK_ERROR =
  'Le serveur ne répond pas. Vérifiez votre connexion au VPN. / The server does not answer. Check your VPN connection.';

/** ApiError is what api() and api.upload() throw. */
export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, 0 when the server could not be reached
   * @param {string} message plain-language message for the user
   * @param {any} [body] the parsed error body, when there was one
   */
  constructor(status, message, body) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}

const CSRF_HEADER = 'X-Kaz-CSRF';
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

let csrfToken = '';
let csrfPending = null;

/** setCSRF records the token (the shell calls it with /api/me's csrf_token). */
export function setCSRF(token) {
  csrfToken = token || '';
}

async function loadCSRF(force) {
  if (csrfToken && !force) return csrfToken;
  if (!csrfPending) {
    csrfPending = (async () => {
      try {
        const me = await request('GET', '/api/me');
        csrfToken = (me && me.csrf_token) || '';
      } finally {
        csrfPending = null;
      }
      return csrfToken;
    })();
  }
  return csrfPending;
}

function fallbackMessage(status) {
  if (status === 401) return 'Vous devez vous connecter. / You need to sign in.';
  if (status === 403) return "Vous n'avez pas accès à cette ressource. / You do not have access to this.";
  if (status === 404) return 'Introuvable. / Not found.';
  if (status === 413) return 'Fichier trop volumineux. / The file is too large.';
  if (status === 429) return 'Trop de tentatives, réessayez plus tard. / Too many attempts, try again later.';
  if (status === 507) return "Espace de stockage insuffisant. / Not enough storage space.";
  if (status >= 500) return 'Le serveur a rencontré une erreur. Réessayez. / The server ran into an error. Try again.';
  return `Erreur ${status}. / Error ${status}.`;
}

function parseBody(text, contentType) {
  if (!text) return null;
  if ((contentType || '').includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// signalUnauthorized tells the shell that the session ended (the event
// 'kaz:unauthorized' on window), so it can offer to sign in again.
function signalUnauthorized(path) {
  if (typeof window !== 'undefined' && typeof CustomEvent === 'function') {
    window.dispatchEvent(new CustomEvent('kaz:unauthorized', {detail: {path}}));
  }
}

function errorFrom(status, body) {
  const msg = body && typeof body === 'object' && typeof body.error === 'string' && body.error
    ? body.error
    : fallbackMessage(status);
  return new ApiError(status, msg, body);
}

async function request(method, path, body, extraHeaders) {
  const headers = {Accept: 'application/json', 'Accept-Language': lang(), ...(extraHeaders || {})};
  const init = {method, headers, credentials: 'same-origin', cache: 'no-store'};
  if (body !== undefined && body !== null) {
    if (body instanceof FormData || body instanceof Blob || body instanceof URLSearchParams || typeof body === 'string') {
      init.body = body;
    } else {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, NETWORK_ERROR);
  }
  let text = '';
  try {
    text = await res.text();
  } catch {
    throw new ApiError(0, NETWORK_ERROR);
  }
  const parsed = parseBody(text, res.headers.get('Content-Type'));
  if (!res.ok) {
    if (res.status === 401) signalUnauthorized(path);
    throw errorFrom(res.status, parsed);
  }
  return parsed;
}


/**
 * api sends one JSON request and resolves with the parsed response.
 * @param {string} method
 * @param {string} path
 * @param {any} [body] an object (sent as JSON), FormData, Blob or string
 * @returns {Promise<any>}
 */
export async function api(method, path, body) {
  method = String(method || 'GET').toUpperCase();
  if (SAFE.has(method)) return request(method, path, body);
  const token = await loadCSRF(false).catch(() => '');
  try {
    return await request(method, path, body, token ? {[CSRF_HEADER]: token} : {});
  } catch (err) {
    // A 403 may come from a token that is no longer the session's (signed
    // in again in another tab): read it again and retry once, only when it
    // changed. A refused call was not carried out, so retrying is safe.
    if (!(err instanceof ApiError) || err.status !== 403) throw err;
    const fresh = await loadCSRF(true).catch(() => token);
    if (!fresh || fresh === token) throw err;
    return request(method, path, body, {[CSRF_HEADER]: fresh});
  }
}

/**
 * api.upload sends a file with XMLHttpRequest so that the caller can show a
 * progress bar. Resolves with the parsed response (null when empty).
 * @param {string} url
 * @param {Blob} file
 * @param {{method?: string, headers?: Object<string,string>, onProgress?: (sent:number, total:number)=>void, signal?: AbortSignal}} [opts]
 * @returns {Promise<any>}
 */
api.upload = async function upload(url, file, opts = {}) {
  const method = String(opts.method || 'PUT').toUpperCase();
  const headers = {'Accept-Language': lang(), ...(opts.headers || {})};
  if (!SAFE.has(method)) {
    const token = await loadCSRF(false).catch(() => '');
    if (token) headers[CSRF_HEADER] = token;
  }
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url, true);
    xhr.withCredentials = true;
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    if (opts.onProgress) {
      xhr.upload.onprogress = (e) => opts.onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    }
    xhr.onload = () => {
      const body = parseBody(xhr.responseText, xhr.getResponseHeader('Content-Type'));
      if (xhr.status === 401) signalUnauthorized(url);
      if (xhr.status >= 200 && xhr.status < 300) {
        if (opts.onProgress) opts.onProgress(file.size, file.size);
        resolve(body);
      } else {
        reject(errorFrom(xhr.status, body));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, NETWORK_ERROR));
    xhr.onabort = () => reject(new ApiError(0, 'Envoi annulé. / Upload cancelled.'));
    if (opts.signal) {
      if (opts.signal.aborted) {
        reject(new ApiError(0, 'Envoi annulé. / Upload cancelled.'));
        return;
      }
      opts.signal.addEventListener('abort', () => xhr.abort(), {once: true});
    }
    xhr.send(file);
  });
};

/** api.csrf returns the CSRF token (fetching it when unknown), for callers that build their own requests. */
api.csrf = () => loadCSRF(false);
api.setCSRF = setCSRF;
api.CSRF_HEADER = CSRF_HEADER;

export default api;
