// The logged-in person's own account: the profile with its avatar, password, username, deletion.

import { ApiError, call, forget, mediaUrl, reloadAccount, whoAmI } from '../api.js';
import { date, failed, flash, form, h, links, message, show } from '../ui.js';
import { go } from '../router.js';

const AVATAR_TYPES = 'image/png,image/jpeg,image/gif,image/webp';
// What a change that needs the person's password asks for first.
const CURRENT_PASSWORD = {
  name: 'current_password', label: 'Current password', type: 'password', autocomplete: 'current-password', required: true,
};

function avatarImage(user) {
  const source = mediaUrl(user.avatar);
  return source
    ? h('img', { class: 'avatar', id: 'avatar', src: source, alt: 'Your avatar' })
    : h('div', { class: 'avatar', id: 'avatar', role: 'img', 'aria-label': 'No avatar yet' });
}

// Upload and replace with a preview of the chosen file before it is sent; remove.
function avatarSection(user) {
  const status = message();
  const saved = avatarImage(user);
  let preview = saved;
  let previewUrl = null;
  const showImage = (next) => {
    preview.replaceWith(next);
    preview = next;
  };
  const input = h('input', { id: 'field-avatar', name: 'avatar', type: 'file', accept: AVATAR_TYPES,
    'aria-describedby': 'avatar-hint' });
  const upload = h('button', { type: 'submit', disabled: true }, 'Upload');
  let busy = false;  // an upload under way: a new choice does not allow a second
  input.addEventListener('change', () => {
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = null;
    const file = input.files[0];
    upload.disabled = busy || !file;
    if (!file) {
      showImage(saved);  // nothing chosen: the avatar as it is
      return;
    }
    previewUrl = URL.createObjectURL(file);
    showImage(h('img', { class: 'avatar', id: 'avatar', src: previewUrl, alt: 'Preview of the new avatar' }));
  });
  const uploadForm = h('form', {
    async onsubmit(event) {
      event.preventDefault();
      const body = new FormData();
      body.append('avatar', input.files[0]);
      upload.disabled = true;
      busy = true;
      try {
        await call('PATCH', 'users/me/', body);
        if (previewUrl) URL.revokeObjectURL(previewUrl);
        reloadAccount();
        flash('Your avatar is saved.');
        go('#/profile', { replace: true, reload: true });
      } catch (error) {
        failed(error, status, 'avatar', input);
        busy = false;
        upload.disabled = !input.files[0];
      }
    },
  },
  h('div', { class: 'field' },
    h('label', { for: 'field-avatar' }, user.avatar ? 'Replace the avatar' : 'Upload an avatar'),
    h('p', { class: 'hint', id: 'avatar-hint' }, 'A PNG, JPEG, GIF or WebP image of at most 5 MB.'),
    input),
  upload);
  const remove = user.avatar
    ? h('button', {
      type: 'button',
      class: 'secondary',
      async onclick(event) {
        const button = event.currentTarget;
        button.disabled = true;
        try {
          await call('PATCH', 'users/me/', { avatar: null });
          reloadAccount();
          flash('Your avatar is removed.');
          go('#/profile', { replace: true, reload: true });
        } catch (error) {
          failed(error, status);
          button.disabled = false;
        }
      },
    }, 'Remove the avatar')
    : null;
  return [h('h2', {}, 'Avatar'), h('div', { class: 'avatar-row' }, preview, remove), uploadForm, status];
}

export async function profile() {
  const { user } = await whoAmI();
  const facts = h('dl', { class: 'facts' },
    h('dt', {}, 'Username'), h('dd', { id: 'profile-username' }, user.username),
    h('dt', {}, 'Email'), h('dd', { id: 'profile-email' }, user.email),
    h('dt', {}, 'Name'), h('dd', { id: 'profile-name' }, [user.first_name, user.last_name].filter(Boolean).join(' ') || '—'),
    h('dt', {}, 'Member since'), h('dd', {}, date(user.date_joined)));
  const { element } = form({
    fields: [
      { name: 'first_name', label: 'First name', autocomplete: 'given-name', value: user.first_name },
      { name: 'last_name', label: 'Last name', autocomplete: 'family-name', value: user.last_name },
      { name: 'email', label: 'Email address', type: 'email', autocomplete: 'email', value: user.email,
        hint: 'A new address must be confirmed: the account pauses until you open the link we send there.' },
    ],
    button: 'Save',
    async submit(values) {
      const changedEmail = values.email !== user.email;
      const updated = await call('PATCH', 'users/me/', values);
      if (changedEmail && !updated.is_active) {
        forget();
        show('Confirm your new address', message(`We sent a link to ${updated.email}. Open it, then log in again.`, 'ok'),
          links(['#/login', 'Log in']));
        return undefined;
      }
      reloadAccount();
      flash('Your details are saved.');
      go('#/profile', { replace: true, reload: true });
      return undefined;
    },
  });
  show('Your profile', facts, ...avatarSection(user), h('h2', {}, 'Details'), element,
    links(['#/password', 'Change the password'], ['#/username', 'Change the username'], ['#/delete', 'Delete the account']));
}

export async function changePassword() {
  const { user } = await whoAmI();
  const { element } = form({
    account: user.username,
    fields: [
      CURRENT_PASSWORD,
      { name: 'new_password', label: 'New password', type: 'password', autocomplete: 'new-password', required: true },
      { name: 're_new_password', label: 'New password, again', type: 'password', autocomplete: 'new-password',
        required: true },
    ],
    button: 'Change the password',
    async submit(values, formElement) {
      await call('POST', 'users/set_password/', values);
      formElement.reset();
      return 'Your password is changed. Your other sessions have ended.';
    },
  });
  show('Change the password', element);
}

export async function changeUsername() {
  const { user } = await whoAmI();
  const { element } = form({
    account: user.username,
    fields: [
      { name: 'new_username', label: 'New username', autocomplete: 'username', required: true },
      CURRENT_PASSWORD,
    ],
    button: 'Change the username',
    async submit(values, formElement) {
      await call('POST', 'users/set_username/', values);
      formElement.reset();
      reloadAccount();
      return `Your username is now ${values.new_username}.`;
    },
  });
  show('Change the username', element);
}

export async function deleteAccount() {
  const { user } = await whoAmI();
  const { element } = form({
    account: user.username,
    fields: [
      CURRENT_PASSWORD,
      { name: 'confirm', label: 'I understand that my account and its data are deleted for good.', type: 'checkbox' },
    ],
    button: 'Delete my account',
    danger: true,
    async submit(values) {
      if (!values.confirm) throw new ApiError(400, { confirm: ['Tick the box to confirm.'] });
      await call('DELETE', 'users/me/', { current_password: values.current_password });
      forget();
      show('Account deleted', message('Your account is deleted.', 'ok'), links(['#/register', 'Create a new account']));
      return undefined;
    },
  });
  show('Delete the account', element);
}
