// Pages by the URL's fragment (#/path?query), the shape of Djoser's mail links
// (#/activate/{uid}/{token}, #/password/reset/confirm/{uid}/{token}).

let render = () => {};

/** Sets the function that draws the page for the current fragment. */
export function onNavigate(draw) {
  render = draw;
  // Only fragments of the pages' own shape (#/...) are pages; an in-page anchor is not.
  window.addEventListener('hashchange', () => {
    if (window.location.hash === '' || window.location.hash.startsWith('#/')) render();
  });
}

/** The current fragment as [path, query]. */
export function current() {
  const fragment = window.location.hash.replace(/^#\/?/, '');
  const at = fragment.indexOf('?');
  const path = at < 0 ? fragment : fragment.slice(0, at);
  const query = new URLSearchParams(at < 0 ? '' : fragment.slice(at + 1));
  return [path.replace(/\/+$/, ''), query];
}

/** Goes to `hash`; `replace` keeps it out of the history, `reload` draws it even when it is current. */
export function go(hash, { replace = false, reload = false } = {}) {
  const same = window.location.hash === hash;
  if (replace) window.history.replaceState(null, '', hash);
  else if (!same) {
    window.location.hash = hash;  // the hashchange draws it
    return;
  }
  if (replace || reload || same) render();
}

/**
 * Takes a mail link's uid and token out of the address bar and the history once the page has
 * read them: they are credentials for as long as they are valid.
 */
export function hideLink(path) {
  window.history.replaceState(null, '', `#/${path}`);
}
