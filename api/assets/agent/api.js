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

/** The answer's body and headers; see `api` for the body alone. */
export async function request(path, { method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json' };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(BASE + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return { data: null, headers: response.headers };
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401 && session.token) onUnauthorized();
    throw new ApiError(response.status, data);
  }
  return { data, headers: response.headers };
}

export async function api(path, options) {
  return (await request(path, options)).data;
}

export const post = (path, body = {}) => api(path, { method: 'POST', body });

/** The SSE URL: EventSource cannot send headers, so the token rides in the query. */
export function eventsUrl() {
  return `${BASE}/events?access_token=${encodeURIComponent(session.token)}`;
}
