// The desk's calls to its own server (/api/ on the same origin; nothing else is reachable
// under the CSP). Changes are JSON POSTs: the browser adds the Origin the desk checks.

export class ApiError extends Error {
  constructor(message, code, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

async function answer(res) {
  const type = res.headers.get('Content-Type') || '';
  const body = type.startsWith('application/json') ? await res.json() : null;
  if (!res.ok) {
    throw new ApiError(body && body.error ? body.error : `HTTP ${res.status}`, body && body.code, res.status);
  }
  return body;
}

export async function get(path) {
  return answer(await fetch(path, { credentials: 'same-origin', cache: 'no-store' }));
}

export async function post(path, value) {
  return answer(await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(value),
  }));
}

/** The inbox query string from a plain object, leaving out empty values. */
export function query(filters) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) {
    if (v === '' || v === null || v === undefined || v === false) continue;
    p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

export const tipPath = (id) => `/api/tips/${encodeURIComponent(id)}`;
export const triage = (ids, request) => post('/api/triage', { ids, request });
