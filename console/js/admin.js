// API keys (admin only; a new key is shown once) and the audit log.
import { api, canWrite } from './api.js';
import { h, field, value, clearErrors, fieldError, message, msgBox, table, confirmInline, fmtTime } from './ui.js';

export async function renderApiKeys(main, _params, created) {
  if (!canWrite()) {
    main.replaceChildren(h('h1', {}, 'API keys'), h('p', {}, 'Only the admin role may see API keys.'));
    return;
  }
  const list = await api('GET', '/apiKeys');
  const msg = msgBox();
  const again = (k) => renderApiKeys(main, [], k);
  const form = h('form', { class: 'stack', id: 'apikey-new', novalidate: true },
    field({ name: 'name', label: 'Name', id: 'apikey-name', help: 'Letters, digits, - . _ ~; it names the caller in the audit log.' }),
    field({ name: 'role', label: 'Role', type: 'select', value: 'read', id: 'apikey-role', options: [['read', 'read (GET only)'], ['admin', 'admin']] }),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', dataset: { write: '' } }, 'Create API key')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    try {
      const k = await api('POST', '/apiKeys', { name: value(form, 'name'), role: value(form, 'role') });
      await again(k);
    } catch (e) {
      const f = /role/.test(e.message) ? 'role' : /name|already exists/.test(e.message) ? 'name' : null;
      if (!fieldError(form, f, e.message)) message(msg, e.message);
    }
  });
  const parts = [h('h1', {}, 'API keys'), msg];
  if (created) {
    parts.push(h('div', { class: 'secret-once', role: 'status', id: 'apikey-created' },
      h('p', {}, `The key of ${created.name} (${created.role}). It is shown this once: copy it now.`),
      h('label', { for: 'apikey-value' }, 'New API key'),
      h('input', { id: 'apikey-value', type: 'text', readonly: true, class: 'mono', value: created.key })));
  }
  parts.push(h('h2', {}, 'New API key'), form);
  parts.push(h('h2', {}, 'Keys'), table('API keys', [
    { label: 'name', cell: (k) => k.name },
    { label: 'role', cell: (k) => k.role },
    { label: 'key starts with', cell: (k) => k.keyPrefix, class: 'mono' },
    { label: 'last used', cell: (k) => fmtTime(k.lastUsedAt) || 'never' },
    { label: 'actions', cell: (k) => {
      const b = h('button', { type: 'button', class: 'danger', dataset: { write: '' } }, 'Delete');
      b.addEventListener('click', () => confirmInline(b, `Delete API key ${k.name}?`, 'Delete', async () => {
        try {
          await api('DELETE', `/apiKeys/${k.uuid}`);
          await again();
        } catch (e) { message(msg, e.message); }
      }));
      return b;
    } },
  ], list, 'No API keys.'));
  main.replaceChildren(...parts);
}

let auditQuery = { objectType: '', actor: '' };

export async function renderAudit(main) {
  const q = new URLSearchParams({ limit: '100' });
  for (const [k, v] of Object.entries(auditQuery)) if (v) q.set(k, v);
  const msg = msgBox();
  let list = [];
  try {
    list = await api('GET', `/auditLogs?${q}`);
  } catch (e) {
    message(msg, e.message);
  }
  const form = h('form', { class: 'toolbar', role: 'search', novalidate: true },
    field({ name: 'objectType', label: 'Object type', type: 'search', value: auditQuery.objectType, id: 'audit-q-type' }),
    field({ name: 'actor', label: 'Actor', type: 'search', value: auditQuery.actor, id: 'audit-q-actor', help: 'e.g. apiKey:admin' }),
    h('button', { type: 'submit', class: 'primary' }, 'Filter'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    auditQuery = { objectType: value(form, 'objectType').trim(), actor: value(form, 'actor').trim() };
    renderAudit(main);
  });
  main.replaceChildren(h('h1', {}, 'Audit log'), msg, form, table('Audit rows, newest first', [
    { label: 'at', cell: (a) => fmtTime(a.at) },
    { label: 'actor', cell: (a) => a.actor },
    { label: 'action', cell: (a) => a.action },
    { label: 'object', cell: (a) => `${a.objectType}${a.objectUuid ? ` ${a.objectUuid}` : ''}`, class: 'mono' },
    { label: 'detail', cell: (a) => (a.detail ? h('pre', {}, JSON.stringify(a.detail)) : '') },
  ], list, 'No audit rows.'));
}
