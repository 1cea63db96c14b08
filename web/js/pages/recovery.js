// Forgotten credentials: the password and username resets, and the pages their mail links open.

import { forget, open } from '../api.js';
import { form, links, show } from '../ui.js';
import { hideLink } from '../router.js';

/**
 * A page that asks for an email address and posts it to `path`: Djoser answers 204 whether an
 * account has the address or not, so `done` says what happens if one does.
 */
export function emailRequest(title, path, button, done) {
  const { element } = form({
    fields: [{ name: 'email', label: 'Email address', type: 'email', autocomplete: 'email', required: true }],
    button,
    async submit(values) {
      await open('POST', path, values);
      return done;
    },
  });
  show(title, element, links(['#/login', 'Log in']));
}

export function forgotPassword() {
  emailRequest('Forgot your password?', 'users/reset_password/', 'Send a reset link',
    'If an account uses this address, a link to set a new password is on its way.');
}

export function resetPassword([uid, token]) {
  hideLink('password/reset/confirm');  // the form keeps them
  const { element } = form({
    fields: [
      { name: 'new_password', label: 'New password', type: 'password', autocomplete: 'new-password', required: true },
      { name: 're_new_password', label: 'New password, again', type: 'password', autocomplete: 'new-password',
        required: true },
      // The link's uid and token: their errors (an expired link) appear in the form's message.
      { name: 'uid', label: 'uid', type: 'hidden', value: uid },
      { name: 'token', label: 'token', type: 'hidden', value: token },
    ],
    button: 'Set the new password',
    async submit(values) {
      await open('POST', 'users/reset_password_confirm/', values);
      forget();  // every session of the account ended with the reset
      show('Password changed', links(['#/login', 'Log in with the new password']));
    },
  });
  show('Choose a new password', element);
}

export function forgotUsername() {
  emailRequest('Forgot your username?', 'users/reset_username/', 'Send a link',
    'If an account uses this address, a link to choose a new username is on its way.');
}

export function resetUsername([uid, token]) {
  hideLink('username/reset/confirm');
  const { element } = form({
    fields: [
      { name: 'new_username', label: 'New username', autocomplete: 'username', required: true },
      { name: 'uid', label: 'uid', type: 'hidden', value: uid },
      { name: 'token', label: 'token', type: 'hidden', value: token },
    ],
    button: 'Set the username',
    async submit(values) {
      await open('POST', 'users/reset_username_confirm/', values);
      show('Username changed', links(['#/login', 'Log in with the new username']));
    },
  });
  show('Choose a new username', element);
}
