/**
 * Typed reads of the HTTP API. An answer other than 2xx becomes an ApiError carrying the API's
 * `{code, message}`; a request that never got an answer becomes a NetworkError (and raises the
 * banner). A 401 asks for the token (one dialog for all the requests that met it), keeps it for
 * the tab (sessionStorage) and retries; a token the server refuses is asked for again.
 */
import { h } from './dom.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export class NetworkError extends Error {
  constructor(readonly path: string, cause: unknown) {
    super(`Cannot reach the server (${path}): ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'NetworkError';
  }
}

export type Params = Readonly<Record<string, string | number | null | undefined>>;

const TOKEN_KEY = 'orderpulse.token';

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function storeToken(token: string): void {
  try {
    sessionStorage.setItem(TOKEN_KEY, token);
  } catch {
    // Storage refused (private mode): the token then lives only as long as this page.
  }
  memoryToken = token;
}
let memoryToken: string | null = null;
/** The token to send: the tab's stored one, or the one entered if storage refused it. */
export function currentToken(): string | null {
  return storedToken() ?? memoryToken;
}

const tokenListeners = new Set<() => void>();
/** Called when a new token was entered (the live stream reconnects with it). */
export function onToken(listener: () => void): () => void {
  tokenListeners.add(listener);
  return () => tokenListeners.delete(listener);
}

let tokenPrompt: Promise<string | null> | null = null;
let declined = false;

/** One dialog for every request that met a 401 at the same time; null when the user cancels. */
export function askToken(wrong: boolean): Promise<string | null> {
  tokenPrompt ??= showTokenDialog(wrong).then((token) => {
    tokenPrompt = null;
    if (token) {
      declined = false;
      storeToken(token);
      for (const listener of tokenListeners) listener();
    } else {
      declined = true;
    }
    return token;
  });
  return tokenPrompt;
}

export function tokenDeclined(): boolean {
  return declined;
}

function showTokenDialog(wrong: boolean): Promise<string | null> {
  return new Promise((resolve) => {
    const input = h('input', { id: 'token-input', name: 'token', type: 'password', autocomplete: 'off', required: true });
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const form = h('form', { method: 'dialog' },
      h('h2', null, 'Access token'),
      h('p', null, wrong ? 'The server did not accept the token. Enter the token the server was started with.' : 'This server needs an access token. Enter the token the server was started with.'),
      h('label', { for: 'token-input' }, 'Token'),
      input,
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Continue'), cancel));
    const dialog = h('dialog', { class: 'token-dialog', 'aria-labelledby': 'token-title' }, form);
    form.querySelector('h2')?.setAttribute('id', 'token-title');
    let answer: string | null = null;
    form.addEventListener('submit', () => {
      answer = input.value.trim() || null;
    });
    cancel.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(answer);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    input.focus();
  });
}

type NetworkState = { readonly ok: true } | { readonly ok: false; readonly error: NetworkError };
const networkListeners = new Set<(state: NetworkState) => void>();
export function onNetworkState(listener: (state: NetworkState) => void): () => void {
  networkListeners.add(listener);
  return () => networkListeners.delete(listener);
}
function network(state: NetworkState): void {
  for (const listener of networkListeners) listener(state);
}

export function apiUrl(path: string, params?: Params): URL {
  const url = new URL(path, location.origin);
  for (const [name, value] of Object.entries(params ?? {})) {
    if (value !== null && value !== undefined && value !== '') url.searchParams.set(name, String(value));
  }
  return url;
}

/** GET a JSON answer of the API; its shape is the contract's (src/read/types.ts). */
export async function apiGet<T>(path: string, params?: Params, signal?: AbortSignal): Promise<T> {
  const url = apiUrl(path, params);
  for (;;) {
    const token = currentToken();
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (token) headers.Authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await fetch(url, { headers, signal: signal ?? null });
    } catch (cause) {
      if (signal?.aborted) throw cause;
      const error = new NetworkError(path, cause);
      network({ ok: false, error });
      throw error;
    }
    network({ ok: true });
    if (response.status === 401) {
      // Another request may have got a token while this one was on its way: retry with it.
      if (currentToken() !== token) continue;
      // Asked until the server takes the token or the user cancels (then the page says what is needed).
      if (!declined && (await askToken(token !== null))) continue;
    }
    if (!response.ok) throw await errorOf(response, path);
    return (await response.json()) as T;
  }
}

async function errorOf(response: Response, path: string): Promise<ApiError> {
  let code = `HTTP_${response.status}`;
  let message = response.statusText || `The server answered ${response.status}`;
  try {
    const body: unknown = await response.json();
    if (typeof body === 'object' && body !== null) {
      const fields = body as { code?: unknown; message?: unknown };
      if (typeof fields.code === 'string') code = fields.code;
      if (typeof fields.message === 'string') message = fields.message;
    }
  } catch {
    // Not JSON (a proxy's page): the status line is all there is.
  }
  return new ApiError(response.status, code, message, path);
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}
