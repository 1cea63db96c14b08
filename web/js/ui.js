// Building the pages: elements, forms whose errors come from the API's own answers, messages.
// Every text goes in as text (textContent), never as HTML.

import { ApiError, SessionEnded, Superseded } from './api.js';
import { go } from './router.js';

/** An element: h('p', { class: 'hint' }, 'text', child, ...). `on*` attributes become listeners. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

let flashed = null;   // { text, hash }
let shown = () => {};

/**
 * A success to say when the page at `hash` is drawn next (a view that saves, then redraws
 * itself); any other page drawn first drops it.
 */
export function flash(text, hash = window.location.hash) {
  flashed = { text, hash };
}

/** Sets what runs after each page is drawn (the navigation follows the session). */
export function onShow(after) {
  shown = after;
}

/** Replaces the page's content; the heading gets the focus, so a screen reader announces it. */
export function show(title, ...content) {
  const main = document.getElementById('main');
  const heading = h('h1', { tabindex: '-1' }, title);
  main.className = '';
  const said = flashed && flashed.hash === window.location.hash ? [message(flashed.text, 'ok')] : [];
  flashed = null;
  main.replaceChildren(heading, ...said, ...content);
  document.title = `${title} · Accounts`;
  heading.focus();
  shown();
  return main;
}

/** A message block: kind 'ok', 'error' or '' (neutral). Announced when it changes. */
export function message(text = '', kind = '') {
  return h('div', { class: `message ${kind}`, role: kind === 'error' ? 'alert' : 'status', tabindex: '-1' }, text);
}

export function setMessage(element, text, kind = '') {
  element.className = `message ${kind}`;
  element.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  element.textContent = text;
}

function seconds(error) {
  const fromHeader = Number.parseInt(error.retryAfter ?? '', 10);
  if (Number.isFinite(fromHeader)) return fromHeader;
  const fromText = /(\d+) seconds?/.exec(error.body?.detail ?? '');
  return fromText ? Number.parseInt(fromText[1], 10) : null;
}

/** What to tell a person about an error that belongs to no field. */
export function describe(error) {
  if (!(error instanceof ApiError)) return `Something went wrong: ${error.message}`;
  const wait = seconds(error);
  const later = wait !== null ? ` Try again in ${wait} second${wait === 1 ? '' : 's'}.` : ' Try again later.';
  if (error.status === 429) return `Too many attempts.${later}`;
  if (error.status === 503) return `The service is busy or unavailable.${later}`;
  if (error.status >= 500) return 'The server failed to answer this request. Try again later.';
  const body = error.body;
  if (body && typeof body.detail === 'string') return body.detail;
  if (body && Array.isArray(body.non_field_errors)) return body.non_field_errors.join(' ');
  return `The request failed (HTTP ${error.status}).`;
}

/**
 * A form. `fields`: [{ name, label, type, autocomplete, value, hint, required }], named as the
 * API names them, so that a 400's field errors land beside their fields. `submit(values, form)`
 * runs on submission; what it throws is shown, what it returns (a text) is shown as success.
 * `account`: the username a password form belongs to (for password managers).
 */
export function form({ fields, button, submit, danger = false, extra = [], account = null }) {
  const status = message();
  const element = h('form', { novalidate: true });
  // A password form names its account, hidden, so that password managers know whose it is.
  if (account !== null)
    element.append(h('input', { type: 'text', name: 'username', autocomplete: 'username', value: account, hidden: true,
      tabindex: '-1', 'aria-hidden': 'true' }));
  const inputs = {};
  const errors = {};
  for (const field of fields) {
    const id = `field-${field.name}`;
    const errorId = `${id}-error`;
    const hintId = field.hint ? `${id}-hint` : null;
    if (field.type === 'hidden') {
      inputs[field.name] = h('input', { name: field.name, type: 'hidden', value: field.value });
      element.append(inputs[field.name]);
      continue;
    }
    if (field.type === 'checkbox') {
      inputs[field.name] = h('input', { id, name: field.name, type: 'checkbox', 'aria-describedby': errorId });
      errors[field.name] = h('p', { class: 'field-error', id: errorId });
      element.append(h('div', { class: 'field' }, h('label', { class: 'check', for: id }, inputs[field.name], field.label),
        errors[field.name]));
      continue;
    }
    inputs[field.name] = h('input', {
      id,
      name: field.name,
      type: field.type ?? 'text',
      autocomplete: field.autocomplete ?? 'off',
      value: field.value ?? null,
      required: field.required ?? false,
      accept: field.accept ?? null,
      'aria-describedby': [hintId, errorId].filter(Boolean).join(' '),
    });
    errors[field.name] = h('p', { class: 'field-error', id: errorId });
    element.append(h('div', { class: 'field' },
      h('label', { for: id }, field.label),
      hintId ? h('p', { class: 'hint', id: hintId }, field.hint) : null,
      inputs[field.name],
      errors[field.name]));
  }
  const submitButton = h('button', { type: 'submit', class: danger ? 'danger' : null }, button);
  element.append(...extra, submitButton, status);

  const clear = () => {
    setMessage(status, '');
    for (const name of Object.keys(errors)) {
      errors[name].textContent = '';
      inputs[name].removeAttribute('aria-invalid');
    }
  };

  element.addEventListener('submit', async (event) => {
    event.preventDefault();
    clear();
    const values = {};
    for (const [name, input] of Object.entries(inputs))
      values[name] = input.type === 'checkbox' ? input.checked : input.type === 'file' ? input.files[0] : input.value;
    submitButton.disabled = true;
    try {
      const done = await submit(values, element);
      if (typeof done === 'string') setMessage(status, done, 'ok');
    } catch (error) {
      if (error instanceof SessionEnded) go('#/login?ended=1', { replace: true });
      else if (!(error instanceof Superseded)) showErrors(error, inputs, errors, status);
    } finally {
      submitButton.disabled = false;
    }
  });
  return { element, inputs, status };
}

// A 400's field errors beside their fields (the first one focused); the rest in the form's message.
function showErrors(error, inputs, errors, status) {
  const body = error instanceof ApiError && error.status === 400 ? error.body : null;
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    setMessage(status, describe(error), 'error');
    status.focus();  // the person's focus goes where the answer is
    return;
  }
  let first = null;
  const elsewhere = [];
  for (const [name, problems] of Object.entries(body)) {
    const text = Array.isArray(problems) ? problems.join(' ') : String(problems);
    if (inputs[name] && inputs[name].type !== 'hidden') {
      errors[name].textContent = text;
      inputs[name].setAttribute('aria-invalid', 'true');
      first ??= inputs[name];
    } else {
      elsewhere.push(text);
    }
  }
  if (elsewhere.length) setMessage(status, elsewhere.join(' '), 'error');
  else setMessage(status, 'Please correct the fields marked above.', 'error');
  (first ?? status).focus();
}

/**
 * What a page's own button says when its call fails: nothing for a page left behind, the login
 * page when the session is over, else the reason in `status` (the messages of `field` when the
 * API refused that field, then marked on `input`).
 */
export function failed(error, status, field = null, input = null) {
  if (error instanceof Superseded) return;
  if (error instanceof SessionEnded) {
    go('#/login?ended=1', { replace: true });
    return;
  }
  const problems = field ? error.body?.[field] : null;
  setMessage(status, Array.isArray(problems) ? problems.join(' ') : describe(error), 'error');
  if (input && Array.isArray(problems)) {
    // The field's own error: tied to it as a form's field errors are.
    if (!status.id) status.id = `${input.id}-error`;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', [input.getAttribute('aria-describedby'), status.id].filter(Boolean).join(' '));
    input.focus();
  } else {
    status.focus();
  }
}

/** A list of links: [[href, text], ...]. */
export function links(...items) {
  return h('ul', { class: 'links' }, items.map(([href, text]) => h('li', {}, h('a', { href }, text))));
}

/** A date as the person's browser writes dates. */
export function date(iso) {
  const value = new Date(iso);
  return Number.isNaN(value.getTime()) ? iso : value.toLocaleString();
}
