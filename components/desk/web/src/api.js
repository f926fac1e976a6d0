// The staff API (docs/staff-api.md), over the session cookie.

export class ApiError extends Error {
  constructor(status, code, message, error) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    // The whole `error` object of the answer (the dry run's `problems`).
    this.error = error ?? null;
  }
}

export async function api(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`/api${path}`, init);
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (response.status === 401 && path !== '/session') {
    location.assign('/desk/login');
    throw new ApiError(401, 'unauthorized', 'signed out');
  }
  if (!response.ok) {
    throw new ApiError(response.status, data?.error?.code, data?.error?.message, data?.error);
  }
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body ?? {});

/** `?a=1&b=2` from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '' && v !== false) q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}
