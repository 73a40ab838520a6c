// The staff API: JSON over fetch with the session's bearer token. Failures become ApiError
// carrying the problem document (RFC 9457) the server sent.

const BASE = '/api/v1';
const TOKEN_KEY = 'samtale.token';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

// sessionStorage: the session ends with the tab, and a token never outlives the browser.
export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set token(value) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
};

let onUnauthorized = () => {};

/** What to do when the server no longer accepts the token (logged out, deactivated). */
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

/** The answer to a call, or the ApiError of its problem document. */
async function send(path, { method = 'GET', body, idempotencyKey, accept = 'application/json' } = {}) {
  const headers = { Accept: accept };
  if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(BASE + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  }).catch((cause) => {
    // No answer at all (the network, a server down): status 0, told apart from a refusal.
    throw Object.assign(new ApiError(0, null), { cause });
  });
  if (!response.ok) {
    const problem = await response.json().catch(() => null);
    if (response.status === 401 && session.token) onUnauthorized();
    throw new ApiError(response.status, problem);
  }
  return response;
}

/** The answer's body and headers; see `api` for the body alone. */
export async function request(path, options) {
  const response = await send(path, options);
  if (response.status === 204) return { data: null, headers: response.headers };
  return { data: await response.json().catch(() => null), headers: response.headers };
}

/** A file the API serves (the history's CSV) as a Blob, sent the bearer token like any call. */
export async function blob(path) {
  const response = await send(path, { accept: 'text/csv' });
  return { data: await response.blob(), headers: response.headers };
}

export async function api(path, options) {
  return (await request(path, options)).data;
}

export const post = (path, body = {}, options = {}) => api(path, { method: 'POST', body, ...options });

/**
 * A random UUID (version 4), for an `Idempotency-Key`: a retry with the same key answers as
 * the first attempt did. Built from getRandomValues, which (unlike randomUUID) any page has.
 */
export function newIdempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The SSE URL: EventSource cannot send headers, so the token rides in the query. */
export function eventsUrl() {
  return `${BASE}/events?access_token=${encodeURIComponent(session.token)}`;
}
