// The pages: which view a fragment shows, who may see it, and the navigation.

import { ApiError, SessionEnded, Superseded, hasSession, loadConfig, navigated, pageNumber, whoAmI } from './api.js';
import { describe, links, message, onShow, show } from './ui.js';
import { current, go, onNavigate } from './router.js';
import { activate, linkNeeded, login, logout, register, resendActivation } from './pages/account.js';
import { forgotPassword, forgotUsername, resetPassword, resetUsername } from './pages/recovery.js';
import { changePassword, changeUsername, deleteAccount, profile } from './pages/profile.js';
import { userList, userPage } from './pages/staff.js';

const OPEN = 'open';
const USER = 'user';
const STAFF = 'staff';

// [pattern, view, who may see it]. The captured segments are the view's parameters.
const routes = [
  [/^login$/, login, OPEN],
  [/^register$/, register, OPEN],
  [/^activate\/([^/]+)\/([^/]+)$/, activate, OPEN],
  [/^activation\/resend$/, resendActivation, OPEN],
  [/^(?:activate|password\/reset\/confirm|username\/reset\/confirm)$/, linkNeeded, OPEN],
  [/^password\/reset$/, forgotPassword, OPEN],
  [/^password\/reset\/confirm\/([^/]+)\/([^/]+)$/, resetPassword, OPEN],
  [/^username\/reset$/, forgotUsername, OPEN],
  [/^username\/reset\/confirm\/([^/]+)\/([^/]+)$/, resetUsername, OPEN],
  [/^logout$/, logout, OPEN],
  [/^profile$/, profile, USER],
  [/^password$/, changePassword, USER],
  [/^username$/, changeUsername, USER],
  [/^delete$/, deleteAccount, USER],
  [/^users$/, userList, STAFF],
  [/^users\/(\d+)$/, userPage, STAFF],
];

// A path segment as sent; one that does not decode is kept as it is (the API then refuses it).
function segment(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

let navDraws = 0;

// The navigation for the session as it is now: drawn after every page (ui.js onShow); of two
// drawings under way, the later one wins.
async function drawNav() {
  const mine = ++navDraws;
  const [path] = current();
  const items = [];
  if (hasSession()) {
    let staff = false;
    try {
      staff = (await whoAmI()).rights.is_staff;
    } catch {
      // the page itself says what went wrong; the staff link waits for the next drawing
    }
    items.push(['#/profile', 'Profile'], ['#/password', 'Password'], ['#/username', 'Username']);
    if (staff) items.push(['#/users', 'Users']);
    items.push(['#/logout', 'Log out']);
  } else {
    items.push(['#/login', 'Log in'], ['#/register', 'Register']);
  }
  if (mine !== navDraws) return;
  const list = links(...items);
  for (const link of list.querySelectorAll('a'))
    if (link.getAttribute('href') === `#/${path}`) link.setAttribute('aria-current', 'page');
  document.getElementById('nav').replaceChildren(list);
}

async function draw() {
  navigated();
  const page = pageNumber();
  const [path, query] = current();
  if (path === '') {
    go(hasSession() ? '#/profile' : '#/login', { replace: true });
    return;
  }
  const match = routes.map(([pattern, view, who]) => [pattern.exec(path), view, who]).find(([m]) => m);
  if (!match) {
    show('Page not found', message('There is no page at this address.', 'error'), links(['#/', 'Go to the start']));
    return;
  }
  const [found, view, who] = match;
  if (who !== OPEN && !hasSession()) {
    go(`#/login?next=${encodeURIComponent(`#/${path}`)}`, { replace: true });
    return;
  }
  try {
    if (who === STAFF && !(await whoAmI()).rights.is_staff) {
      if (page !== pageNumber()) return;
      show('Not allowed', message('This page is for staff only.', 'error'));
      return;
    }
    if (page !== pageNumber()) return;
    await view(found.slice(1).map(segment), query);
  } catch (error) {
    if (error instanceof Superseded || page !== pageNumber()) return;  // the person went on to another page
    if (error instanceof SessionEnded || (error instanceof ApiError && error.status === 401)) {
      go('#/login?ended=1', { replace: true });
      return;
    }
    show('Something went wrong', message(describe(error), 'error'), links(['#/', 'Go to the start']));
  }
}

async function start() {
  try {
    await loadConfig();
  } catch {
    show('Cannot start', message('The pages could not read their configuration (config.json).', 'error'));
    return;
  }
  onNavigate(draw);
  onShow(drawNav);
  // The skip link moves the focus; it is no page of its own.
  document.querySelector('.skip').addEventListener('click', (event) => {
    event.preventDefault();
    document.getElementById('main').focus();
  });
  await draw();
}

start();
