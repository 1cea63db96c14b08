// Staff views: the user list with search and pages, and a user's page with activation and groups.
// Reading uses Djoser's users/ routes; activation and groups the staff extension (users/{id}/access/,
// groups/), which Djoser lacks.

import { call, mediaUrl } from '../api.js';
import { date, failed, flash, h, links, message, show } from '../ui.js';
import { go } from '../router.js';

const PAGE_SIZE = 20;

export async function userList(_params, query) {
  const term = query.get('q') ?? '';
  const by = query.get('by') === 'email' ? 'email' : 'username';
  const offset = Math.max(0, Number.parseInt(query.get('offset') ?? '0', 10) || 0);

  const params = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(offset) });
  if (term) params.set(`${by}__startswith`, term);
  const page = await call('GET', `users/?${params}`);

  const input = h('input', { id: 'search-q', name: 'q', type: 'search', value: term });
  const select = h('select', { id: 'search-by', name: 'by' },
    h('option', { value: 'username', selected: by === 'username' }, 'Username'),
    h('option', { value: 'email', selected: by === 'email' }, 'Email'));
  const search = h('form', {
    class: 'search',
    role: 'search',
    onsubmit(event) {
      event.preventDefault();
      const next = new URLSearchParams({ q: input.value.trim(), by: select.value });
      go(`#/users?${next}`);
    },
  },
  h('div', { class: 'field' }, h('label', { for: 'search-q' }, 'Starts with'), input),
  h('div', { class: 'field' }, h('label', { for: 'search-by' }, 'Search in'), select),
  h('button', { type: 'submit' }, 'Search'));

  const rows = page.results.map((user) => h('tr', {},
    h('td', {}, h('a', { href: `#/users/${user.id}` }, user.username)),
    h('td', {}, user.email),
    h('td', {}, user.is_active ? 'active' : 'inactive'),
    h('td', {}, date(user.date_joined))));
  const table = page.results.length
    ? h('div', { class: 'table-wrap' }, h('table', {},
      h('caption', { class: 'hint' }, `Users ${offset + 1}–${offset + page.results.length} of ${page.count}`),
      h('thead', {}, h('tr', {}, ['Username', 'Email', 'State', 'Joined'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, rows)))
    : message(page.count ? `No users here: there are ${page.count}.` : 'No user matches.');

  const at = (start) => {
    const next = new URLSearchParams({ q: term, by, offset: String(start) });
    return `#/users?${next}`;
  };
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' },
    page.previous ? h('a', { href: at(Math.max(0, offset - PAGE_SIZE)), rel: 'prev' }, '← Previous') : null,
    page.next ? h('a', { href: at(offset + PAGE_SIZE), rel: 'next' }, 'Next →') : null);

  show('Users', search, table, pager);
  document.getElementById('main').className = 'wide';
}

export async function userPage([id]) {
  const [user, rights, groups] = await Promise.all([
    call('GET', `users/${id}/`), call('GET', `users/${id}/access/`), call('GET', 'groups/')]);
  const status = message();
  const source = mediaUrl(user.avatar);

  const toggle = h('button', {
    type: 'button',
    class: rights.is_active ? 'danger' : null,
    async onclick() {
      toggle.disabled = true;
      try {
        await call('PATCH', `users/${id}/access/`, { is_active: !rights.is_active });
        flash(rights.is_active ? 'The account is deactivated.' : 'The account is active.');
        go(`#/users/${id}`, { replace: true, reload: true });
      } catch (error) {
        failed(error, status);
        toggle.disabled = false;
      }
    },
  }, rights.is_active ? 'Deactivate the account' : 'Activate the account');

  // Every group there is, ticked where the user belongs, and a new one.
  const names = [...new Set([...groups, ...rights.groups])].sort();
  const boxes = names.map((name, i) => h('label', { class: 'check', for: `group-${i}` },
    h('input', { type: 'checkbox', id: `group-${i}`, value: name, checked: rights.groups.includes(name) }), name));
  const fresh = h('input', { id: 'group-new', type: 'text', autocomplete: 'off' });
  const groupStatus = message();
  const save = h('button', { type: 'submit' }, 'Save the groups');
  const groupForm = h('form', {
    async onsubmit(event) {
      event.preventDefault();
      const chosen = boxes.map((label) => label.querySelector('input')).filter((b) => b.checked).map((b) => b.value);
      if (fresh.value.trim()) chosen.push(fresh.value.trim());
      save.disabled = true;
      try {
        await call('PATCH', `users/${id}/access/`, { groups: chosen });
        flash('The groups are saved.');
        go(`#/users/${id}`, { replace: true, reload: true });
      } catch (error) {
        failed(error, groupStatus, 'groups', fresh);
        save.disabled = false;
      }
    },
  },
  h('fieldset', {}, h('legend', {}, 'Groups'), boxes.length ? boxes : h('p', { class: 'hint' }, 'No groups yet.'),
    h('div', { class: 'field' }, h('label', { for: 'group-new' }, 'Add to a new group'), fresh)),
  save, groupStatus);

  show(user.username,
    h('div', { class: 'avatar-row' },
      source ? h('img', { class: 'avatar', src: source, alt: `Avatar of ${user.username}` }) : null,
      h('dl', { class: 'facts' },
        h('dt', {}, 'Id'), h('dd', {}, String(user.id)),
        h('dt', {}, 'Email'), h('dd', {}, user.email),
        h('dt', {}, 'Name'), h('dd', {}, [user.first_name, user.last_name].filter(Boolean).join(' ') || '—'),
        h('dt', {}, 'Joined'), h('dd', {}, date(user.date_joined)),
        h('dt', {}, 'State'), h('dd', { id: 'user-state' }, rights.is_active ? 'active' : 'inactive'),
        h('dt', {}, 'Staff'), h('dd', {}, rights.is_superuser ? 'superuser' : rights.is_staff ? 'yes' : 'no'))),
    h('h2', {}, 'Access'), toggle, status, groupForm, links(['#/users', 'Back to the list']));
}
