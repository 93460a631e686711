// The management API from the browser: same origin only, the session's
// API key (sessionStorage, nothing else is kept) in the Authorization
// header, and a progress bar for calls that take longer than 300 ms.
const STORE = 'cmpd.apiKey';
const BASE = '/api/v1';

export const session = {
  key: sessionStorage.getItem(STORE) || '',
  name: '',
  role: '',
  onExpired: null,
};

export function setKey(key) {
  session.key = key;
  if (key) sessionStorage.setItem(STORE, key);
  else sessionStorage.removeItem(STORE);
}

export function canWrite() {
  return session.role === 'admin';
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

let inflight = 0;
let timer = null;

function busy(delta) {
  const bar = document.getElementById('progress');
  const main = document.getElementById('main');
  inflight += delta;
  if (inflight > 0 && timer === null && bar.hidden) {
    timer = setTimeout(() => {
      timer = null;
      if (inflight > 0) {
        bar.hidden = false;
        main.setAttribute('aria-busy', 'true');
      }
    }, 300);
  }
  if (inflight <= 0) {
    inflight = 0;
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
    bar.hidden = true;
    main.removeAttribute('aria-busy');
  }
}

// The API's own text for a refusal: {"message": ...}, else the body.
function refusal(status, text) {
  try {
    const j = JSON.parse(text);
    if (j && typeof j.message === 'string') return j.message;
  } catch (e) { /* not JSON */ }
  return text.trim() || `HTTP ${status}`;
}

async function request(method, url, body, accept) {
  const headers = { Accept: accept };
  if (session.key) headers.Authorization = `Bearer ${session.key}`;
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store', redirect: 'error' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  busy(1);
  try {
    const r = await fetch(url, init);
    const text = await r.text();
    return { status: r.status, ok: r.ok, text };
  } catch (e) {
    throw new ApiError(0, `no answer from the server (${e.message})`);
  } finally {
    busy(-1);
  }
}

// api(METHOD, "/cmpProfiles", body?): the answer's JSON (null for 204);
// throws ApiError with the API's message for anything not 2xx.
export async function api(method, path, body) {
  const r = await request(method, BASE + path, body, 'application/json');
  if (!r.ok) {
    const err = new ApiError(r.status, refusal(r.status, r.text));
    if (r.status === 401 && session.role && session.onExpired) session.onExpired(err);
    throw err;
  }
  if (r.status === 204 || r.text === '') return null;
  return JSON.parse(r.text);
}

// /health and /metrics (outside /api/v1): status and text, no throw on
// an HTTP error (503 is an answer of /health).
export async function plain(path, accept) {
  return request('GET', path, undefined, accept);
}

export function enc(s) {
  return encodeURIComponent(s);
}
