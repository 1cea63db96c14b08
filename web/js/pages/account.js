// Becoming a user: register, the activation link's landing page, resending it, logging in and out.

import { ApiError, Superseded, logIn, logOut, loginField, open, pageNumber } from '../api.js';
import { describe, form, h, links, message, show } from '../ui.js';
import { go, hideLink } from '../router.js';
import { emailRequest } from './recovery.js';

// The login field as the server has it (Djoser's LOGIN_FIELD): named as the API names it, so
// that its errors land beside it.
const LOGIN_FIELDS = {
  username: { name: 'username', label: 'Username', autocomplete: 'username' },
  email: { name: 'email', label: 'Email address', type: 'email', autocomplete: 'email' },
  username_or_email: { name: 'username', label: 'Username or email address', autocomplete: 'username' },
};

export function login(_params, query) {
  const field = LOGIN_FIELDS[loginField()] ?? LOGIN_FIELDS.username;
  // Only a page of these pages: anything else in ?next= is ignored.
  const next = /^#\/[\w/?=&%.-]*$/.test(query.get('next') ?? '') ? query.get('next') : '#/profile';
  const { element } = form({
    fields: [
      { ...field, required: true },
      { name: 'password', label: 'Password', type: 'password', autocomplete: 'current-password', required: true },
    ],
    button: 'Log in',
    async submit(values) {
      const page = pageNumber();
      await logIn(values[field.name], values.password);
      if (page === pageNumber()) go(next);
    },
  });
  const notes = [];
  if (query.get('ended')) notes.push(message('Your session has ended. Please log in again.', ''));
  show('Log in', ...notes, element,
    links(['#/register', 'Create an account'], ['#/password/reset', 'Forgot your password?'],
      ['#/username/reset', 'Forgot your username?'], ['#/activation/resend', 'Resend the activation mail']));
}

export function register() {
  const { element } = form({
    fields: [
      { name: 'username', label: 'Username', autocomplete: 'username', required: true,
        hint: 'Letters, digits and @ . + - _ only.' },
      { name: 'email', label: 'Email address', type: 'email', autocomplete: 'email', required: true },
      { name: 'first_name', label: 'First name (optional)', autocomplete: 'given-name' },
      { name: 'last_name', label: 'Last name (optional)', autocomplete: 'family-name' },
      { name: 'password', label: 'Password', type: 'password', autocomplete: 'new-password', required: true,
        hint: 'At least 8 characters, not a common password, not only digits, not like your name.' },
      { name: 're_password', label: 'Password, again', type: 'password', autocomplete: 'new-password', required: true },
    ],
    button: 'Create the account',
    async submit(values) {
      const user = await open('POST', 'users/', values);
      show('Check your mail',
        h('p', {}, 'We sent a link to ', h('strong', {}, user.email),
          '. Open it to activate your account, then log in.'),
        links(['#/login', 'Log in'], ['#/activation/resend', 'No mail? Send it again']));
    },
  });
  show('Create an account', element, links(['#/login', 'I have an account']));
}

export async function activate([uid, token]) {
  hideLink('activate');
  const status = message('Activating your account…');
  show('Activate your account', status);
  try {
    await open('POST', 'users/activation/', { uid, token });
    show('Account activated', message('Your account is active. You can log in now.', 'ok'), links(['#/login', 'Log in']));
  } catch (error) {
    if (error instanceof Superseded) return;
    let text = describe(error);
    if (error instanceof ApiError && error.status === 403) text = 'This account is already active.';
    else if (error instanceof ApiError && error.status === 400)
      text = 'This activation link is not valid: it was used already, has expired, or was copied incompletely.';
    show('Activation failed', message(text, 'error'),
      links(['#/activation/resend', 'Send a new activation link'], ['#/login', 'Log in']));
  }
}

export function resendActivation() {
  emailRequest('Resend the activation mail', 'users/resend_activation/', 'Send the activation link',
    'If an account with this address waits for activation, a new link is on its way.');
}

export async function logout() {
  const page = pageNumber();
  const ended = await logOut();
  if (page !== pageNumber()) return;  // the person went on meanwhile
  const text = ended
    ? 'You are logged out.'
    : 'You are logged out in this browser tab, but the server could not be told: the session ends when it expires.';
  show('Logged out', message(text, ended ? 'ok' : 'error'), links(['#/login', 'Log in again']));
}

/** A mail link's page without its uid and token (reloaded after it was read, or typed in). */
export function linkNeeded() {
  show('Open the link from the mail', message('This page works from the link in the mail we sent you. ' +
    'Open that link again, or ask for a new one.'),
  links(['#/activation/resend', 'Send a new activation link'], ['#/password/reset', 'Reset the password'],
    ['#/username/reset', 'Reset the username']));
}
