// cmpd console: start-up, login, navigation. Pages live in their own
// modules; each exports render(main, params) and builds its DOM itself.
import { api, session, setKey, ApiError } from './api.js';
import { h, field, message } from './ui.js';
import * as dashboard from './dashboard.js';
import * as cmpProfiles from './cmp-profiles.js';
import * as objects from './objects.js';
import * as inventory from './inventory.js';
import * as admin from './admin.js';

const routes = [
  [/^#\/dashboard$/, dashboard.render],
  [/^#\/cmp-profiles$/, cmpProfiles.renderList],
  [/^#\/cmp-profiles\/new$/, cmpProfiles.renderNew],
  [/^#\/cmp-profiles\/([0-9a-f-]{36})$/, cmpProfiles.renderEdit],
  [/^#\/ra-profiles$/, objects.renderRaProfiles],
  [/^#\/authorities$/, objects.renderAuthorities],
  [/^#\/connectors$/, objects.renderConnectors],
  [/^#\/certificates$/, inventory.renderCertificates],
  [/^#\/transactions$/, inventory.renderTransactions],
  [/^#\/api-keys$/, admin.renderApiKeys],
  [/^#\/audit$/, admin.renderAudit],
];

const main = document.getElementById('main');
let loginNote = '';

function showChrome(on) {
  document.getElementById('nav').hidden = !on;
  document.getElementById('logout').hidden = !on || !session.key;
  document.getElementById('who').textContent = on ? `${session.name} (${session.role})` : '';
  document.body.dataset.role = on ? session.role : '';
  for (const a of document.querySelectorAll('nav [data-admin]')) a.parentElement.hidden = session.role !== 'admin';
}

function renderLogin(note) {
  showChrome(false);
  document.title = 'Log in - cmpd console';
  const msg = h('div', { class: 'msg', id: 'login-message' });
  const key = field({ name: 'apiKey', label: 'API key', type: 'password', id: 'login-key',
    help: 'An API key of cmpd (cmpctl apikey create NAME --role admin|read). It is kept in this tab only, until you log out or close it.' });
  const form = h('form', { class: 'stack', id: 'login-form', novalidate: true },
    key, h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', id: 'login-submit' }, 'Log in')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    message(msg, '');
    setKey(key.control.value.trim());
    try {
      await whoami();
      location.hash = '#/dashboard';
      route();
    } catch (e) {
      setKey('');
      message(msg, e.message);
      key.control.focus();
    }
  });
  main.replaceChildren(h('h1', {}, 'Log in'), msg, form);
  if (note) message(msg, note);
  key.control.focus();
}

async function whoami() {
  const me = await api('GET', '/whoami');
  session.name = me.name;
  session.role = me.role;
  return me;
}

function logout(note) {
  setKey('');
  session.role = '';
  session.name = '';
  loginNote = note || '';
  location.hash = '#/login';
  route();
}

session.onExpired = (err) => logout(err.message);

async function route() {
  const hash = location.hash || '#/dashboard';
  if (!session.role) {
    renderLogin(loginNote);
    loginNote = '';
    return;
  }
  if (hash === '#/login') {
    location.hash = '#/dashboard';
    return;
  }
  showChrome(true);
  for (const a of document.querySelectorAll('nav a')) {
    const cur = hash === a.getAttribute('href') || hash.startsWith(`${a.getAttribute('href')}/`);
    if (cur) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  for (const [re, fn] of routes) {
    const m = hash.match(re);
    if (!m) continue;
    main.replaceChildren(h('p', { class: 'loading' }, 'Loading…'));
    try {
      await fn(main, m.slice(1));
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) {
        main.replaceChildren(h('h1', {}, 'Error'),
          h('div', { class: 'msg error', role: 'alert', dataset: { role: 'page-message' } }, e.message));
      }
    }
    const h1 = main.querySelector('h1');
    document.title = `${h1 ? h1.textContent : 'cmpd'} - cmpd console`;
    main.focus({ preventScroll: true });
    return;
  }
  main.replaceChildren(h('h1', {}, 'Not found'), h('p', {}, 'No such page. '), h('a', { href: '#/dashboard' }, 'Dashboard'));
}

async function start() {
  document.getElementById('logout').addEventListener('click', () => logout());
  window.addEventListener('hashchange', route);
  // With a key of this tab, or none: the web server may have
  // authenticated the caller (REMOTE_USER with api_remote_user).
  try {
    await whoami();
  } catch (e) {
    if (session.key) {
      loginNote = e.message;
      setKey('');
    }
  }
  route();
}

start();
