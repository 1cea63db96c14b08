// The /auth API, called exactly as a Djoser frontend calls it: JSON bodies (multipart for an
// avatar), `Authorization: Bearer <access>`, the token pair from jwt/create/, renewed through
// jwt/refresh/.
//
// Where the tokens live (docs/frontend.md): the access token only in this module's memory, the
// refresh token in sessionStorage, which ends with the tab. No cookie is used, so no other site
// can make the browser send a credential; the pages run no inline or foreign script (the
// Content-Security-Policy forbids it) and insert every text from the API as text, never as HTML.

const REFRESH_KEY = 'usermgmt.refresh';
const TIMEOUT_MS = 30000;  // a call the server does not answer in this time fails, freeing its button

let config = { api: '', auth_prefix: '/auth/', login_field: 'username' };
let access = null;       // the access token: memory only, gone on reload (the refresh token renews it)
let renewal = null;      // { epoch, promise }: one jwt/refresh/ at a time per session
let account = null;      // the caller's user and access record, while logged in
let epoch = 0;           // counts log-ins and log-outs: what was begun before one is not stored
let navigation = 0;      // counts page changes: an answer for a page left behind is dropped

/** What an answer for a page the person has left turns into: nothing is drawn from it. */
export class Superseded extends Error {
  constructor() {
    super('superseded by a newer page');
  }
}

/** A new page is being drawn: answers to the calls of the one before are dropped. */
export function navigated() {
  navigation += 1;
}

/**
 * Which page is drawn now. A view that waits for something not tied to a page (logging in or
 * out) compares it before and after, and draws nothing if the person moved on.
 */
export function pageNumber() {
  return navigation;
}

/** An answer other than 2xx, or no answer at all (status 0). */
export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super(body && typeof body.detail === 'string' ? body.detail : `HTTP ${status}`);
    this.status = status;
    this.body = body;
    this.retryAfter = retryAfter;
  }
}

/** A call that needed the session found it over (expired, ended elsewhere, the account gone): log in again. */
export class SessionEnded extends ApiError {}

/** Reads config.json: where the API is (empty: this origin), its /auth prefix, its login field. */
export async function loadConfig() {
  const response = await fetch('config.json', { cache: 'no-cache', credentials: 'omit' });
  if (response.ok) config = { ...config, ...(await response.json()) };
}

/** What jwt/create/ logs in with: username, email, or username_or_email (sent as username). */
export function loginField() {
  return config.login_field;
}

function apiUrl(path) {
  return config.api.replace(/\/+$/, '') + config.auth_prefix + path;
}

/** The URL of an avatar as the API writes it (site-relative to the API's origin). */
export function mediaUrl(avatar) {
  if (!avatar) return null;
  if (/^https?:\/\//.test(avatar)) return avatar;
  return config.api.replace(/\/+$/, '') + avatar;
}

// `page`: the page the call was made for; when another is drawn by the time the answer comes,
// the answer is dropped (Superseded). null: the answer matters whatever the page (tokens must be
// stored once issued, or a rotated refresh token would be lost).
async function send(method, path, body, token, page) {
  const headers = { Accept: 'application/json' };
  let payload;
  if (body instanceof FormData) {
    payload = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  if (token) headers.Authorization = `Bearer ${token}`;
  const left = () => page !== null && page !== navigation;
  let response;
  let text;
  try {
    response = await fetch(apiUrl(path), {
      method, headers, body: payload, credentials: 'omit', cache: 'no-store', signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    text = await response.text();
  } catch (error) {
    if (left()) throw new Superseded();
    const late = error?.name === 'TimeoutError';
    throw new ApiError(0, {
      detail: late ? 'The server did not answer in time. Try again.'
        : 'The server cannot be reached. Check the connection and try again.',
    });
  }
  if (left()) throw new Superseded();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { detail: `The server answered ${response.status} without a readable body.` };
    }
  }
  if (!response.ok) throw new ApiError(response.status, data, response.headers.get('Retry-After'));
  return data;
}

/** A call that needs no token, for the page drawn now. */
export function open(method, path, body) {
  return send(method, path, body, null, navigation);
}

function storeTokens(tokens) {
  access = tokens.access;
  // With rotation on, jwt/refresh/ hands out a new refresh token and the old one is spent.
  if (tokens.refresh) sessionStorage.setItem(REFRESH_KEY, tokens.refresh);
}

/** Forgets the tokens and the account, in this tab only. */
export function forget() {
  epoch += 1;
  access = null;
  account = null;
  sessionStorage.removeItem(REFRESH_KEY);
}

/**
 * Logs out: the session ends on the server (jwt/blacklist/, simplejwt's view, so that a stolen
 * copy of the refresh token stops working too), and the tab forgets the tokens. False when the
 * server could not be told.
 */
export async function logOut() {
  const refresh = sessionStorage.getItem(REFRESH_KEY);
  forget();
  if (!refresh) return true;
  try {
    await send('POST', 'jwt/blacklist/', { refresh }, null, null);
    return true;
  } catch (error) {
    return error.status === 401;  // the session had ended already
  }
}

export function hasSession() {
  return access !== null || sessionStorage.getItem(REFRESH_KEY) !== null;
}

// A new access token from the refresh token, shared by every call of this session that needs one.
function renewAccess() {
  if (renewal && renewal.epoch === epoch) return renewal.promise;
  const session = epoch;
  const promise = (async () => {
    const refresh = sessionStorage.getItem(REFRESH_KEY);
    if (!refresh) throw new SessionEnded(401, { detail: 'Please log in.' });
    let tokens;
    try {
      tokens = await send('POST', 'jwt/refresh/', { refresh }, null, null);
    } catch (error) {
      // The session is over (expired, ended elsewhere, the account deactivated); a 429 or 503
      // is not a reason to forget it.
      if (error.status === 401 || error.status === 400) {
        if (session === epoch) forget();
        throw new SessionEnded(401, error.body);
      }
      throw error;
    }
    // Logged out or in again meanwhile: these tokens belong to a session that is gone.
    if (session !== epoch) throw new SessionEnded(401, { detail: 'Please log in.' });
    storeTokens(tokens);
  })().finally(() => {
    if (renewal?.promise === promise) renewal = null;
  });
  renewal = { epoch: session, promise };
  return promise;
}

/**
 * A call with the caller's token, for the page drawn now; an expired access token is renewed
 * once, transparently. Whatever happens after the person left the page is Superseded.
 */
export async function call(method, path, body) {
  const page = navigation;
  try {
    if (!access) await renewAccess();
    if (page !== navigation) throw new Superseded();
    const used = access;
    try {
      return await send(method, path, body, used, page);
    } catch (error) {
      if (error.status !== 401) throw error;
      // Renewed once for every call that found the token expired, not once each.
      if (access === used) access = null;
      if (!access) await renewAccess();
      if (page !== navigation) throw new Superseded();
      try {
        return await send(method, path, body, access, page);
      } catch (again) {
        // Refused with a token just renewed: the account itself is gone or inactive.
        if (again.status !== 401) throw again;
        forget();
        throw new SessionEnded(401, again.body);
      }
    }
  } catch (error) {
    throw page !== navigation ? new Superseded() : error;
  }
}

/** Logs in with the server's login field (see loginField) and the password. */
export async function logIn(login, password) {
  forget();
  const field = config.login_field === 'email' ? 'email' : 'username';
  const session = epoch;
  const tokens = await send('POST', 'jwt/create/', { [field]: login, password }, null, null);
  if (session === epoch) storeTokens(tokens);
}

/** Forgets the caller's account as loaded: the next whoAmI() reads it again. */
export function reloadAccount() {
  account = null;
}

/** The caller: their user and what their account may do (is_staff), loaded once per session. */
export async function whoAmI() {
  if (!account) {
    const session = epoch;
    const [user, rights] = await Promise.all([call('GET', 'users/me/'), call('GET', 'users/me/access/')]);
    if (session === epoch) account = { user, rights };
    return { user, rights };
  }
  return account;
}
