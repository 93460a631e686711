// RA Profiles, authorities and connectors: list, create, edit, delete,
// as the API allows (RA Profiles: enable/disable, CMP on them).
import { api, canWrite } from './api.js';
import { h, field, value, clearErrors, fieldError, message, msgBox, table, badge,
  confirmInline, copyField } from './ui.js';

function refused(form, msg, e, fieldOf) {
  const name = fieldOf(e.message);
  if (!form || !fieldError(form, name, e.message)) message(msg, e.message);
  else message(msg, `The API refused it: ${e.message}`);
}

// A create/edit form in a <details> (closed unless editing).
function editor(title, id, fields, onSubmit, open) {
  const msg = msgBox();
  const form = h('form', { class: 'stack', id, novalidate: true }, ...fields,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary', dataset: { write: '' } }, title)));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    message(msg, '');
    await onSubmit(form, msg);
  });
  return h('details', { class: 'editor', open, dataset: { write: '' } }, h('summary', {}, title), msg, form);
}

function delButton(label, what, path, msg, again) {
  const b = h('button', { type: 'button', class: 'danger', dataset: { write: '', action: 'delete' } }, 'Delete');
  b.addEventListener('click', () => confirmInline(b, `Delete ${what} ${label}?`, 'Delete', async () => {
    try {
      await api('DELETE', path);
      await again();
    } catch (e) {
      message(msg, e.message);
    }
  }));
  return b;
}

// ------------------------------------------------------------ connectors
const connectorField = (t) => (/url/i.test(t) ? 'url' : /authType/.test(t) ? 'authType'
  : /credentials|password|username|header|key|certificate/i.test(t) ? 'credentials' : /name/i.test(t) ? 'name' : null);

function connectorFields(c) {
  return [
    field({ name: 'name', label: 'Name', value: c.name }),
    field({ name: 'url', label: 'URL', type: 'url', value: c.url, help: 'The connector API base, e.g. https://ca.example/connector' }),
    field({ name: 'authType', label: 'Authentication', type: 'select', value: c.authType || 'none',
      options: [['none', 'none'], ['basic', 'basic'], ['apiKey', 'API key header'], ['certificate', 'client certificate']] }),
    field({ name: 'credentials', label: 'Credentials (JSON)', type: 'textarea', rows: 3,
      help: 'Write-only. basic {"username","password"}; apiKey {"header","key"}; certificate {"certificate","privateKey"} (PEM). Empty: keep (edit) or none.' }),
    field({ name: 'insecure', label: 'Allow credentials over plain http:// (insecure)', type: 'checkbox', value: c.insecure }),
  ];
}

function connectorBody(form) {
  const b = { name: value(form, 'name'), url: value(form, 'url'), authType: value(form, 'authType'), insecure: value(form, 'insecure') };
  const cred = value(form, 'credentials').trim();
  if (cred !== '') {
    try {
      b.credentials = JSON.parse(cred);
    } catch (e) {
      throw new Error(`credentials: not JSON (${e.message})`);
    }
  }
  return b;
}

export async function renderConnectors(main) {
  const list = await api('GET', '/connectors');
  const msg = msgBox();
  const w = canWrite();
  const again = () => renderConnectors(main);
  const parts = [h('h1', {}, 'Connectors'), msg];
  if (w) {
    parts.push(editor('Create connector', 'connector-new', connectorFields({}), async (form, m) => {
      try {
        await api('POST', '/connectors', connectorBody(form));
        await again();
      } catch (e) { refused(form, m, e, connectorField); }
    }, false));
  }
  parts.push(table('Connectors', [
    { label: 'name', cell: (c) => c.name },
    { label: 'URL', cell: (c) => c.url, class: 'mono' },
    { label: 'auth', cell: (c) => `${c.authType}${c.hasCredentials ? ' (set)' : ''}${c.insecure ? ', insecure' : ''}` },
    ...(w ? [{ label: 'actions', cell: (c) => h('div', { class: 'actions' },
      editor('Save', `connector-${c.uuid}`, connectorFields(c), async (form, m) => {
        try {
          await api('PUT', `/connectors/${c.uuid}`, connectorBody(form));
          await again();
        } catch (e) { refused(form, m, e, connectorField); }
      }, false),
      delButton(c.name, 'connector', `/connectors/${c.uuid}`, msg, again)) }] : []),
  ], list, 'No connectors yet.'));
  main.replaceChildren(...parts);
}

// ----------------------------------------------------------- authorities
const authorityField = (t) => (/connector/i.test(t) ? 'connectorUuid' : /authorityInstanceUuid|instance/i.test(t)
  ? 'authorityInstanceUuid' : /name/i.test(t) ? 'name' : null);

function authorityFields(a, connectors) {
  return [
    field({ name: 'name', label: 'Name', value: a.name }),
    field({ name: 'connectorUuid', label: 'Connector', type: 'select', value: a.connector ? a.connector.uuid : '',
      options: [['', '(choose)'], ...connectors.map((c) => [c.uuid, c.name])] }),
    field({ name: 'authorityInstanceUuid', label: 'Authority instance UUID (at the connector)', value: a.authorityInstanceUuid }),
  ];
}

const authorityBody = (form) => ({ name: value(form, 'name'), connectorUuid: value(form, 'connectorUuid'),
  authorityInstanceUuid: value(form, 'authorityInstanceUuid') });

export async function renderAuthorities(main) {
  const [list, connectors] = await Promise.all([api('GET', '/authorities'), api('GET', '/connectors')]);
  const msg = msgBox();
  const w = canWrite();
  const again = () => renderAuthorities(main);
  const parts = [h('h1', {}, 'Authorities'), msg];
  if (w) {
    parts.push(editor('Create authority', 'authority-new', authorityFields({}, connectors), async (form, m) => {
      try {
        await api('POST', '/authorities', authorityBody(form));
        await again();
      } catch (e) { refused(form, m, e, authorityField); }
    }, false));
  }
  parts.push(table('Authorities', [
    { label: 'name', cell: (a) => a.name },
    { label: 'connector', cell: (a) => a.connector.name },
    { label: 'instance', cell: (a) => a.authorityInstanceUuid, class: 'mono' },
    ...(w ? [{ label: 'actions', cell: (a) => h('div', { class: 'actions' },
      editor('Save', `authority-${a.uuid}`, authorityFields(a, connectors), async (form, m) => {
        try {
          await api('PUT', `/authorities/${a.uuid}`, authorityBody(form));
          await again();
        } catch (e) { refused(form, m, e, authorityField); }
      }, false),
      delButton(a.name, 'authority', `/authorities/${a.uuid}`, msg, again)) }] : []),
  ], list, 'No authorities yet.'));
  main.replaceChildren(...parts);
}

// ----------------------------------------------------------- RA Profiles
const raField = (t) => (/attributes/i.test(t) ? 'attributes' : /authority/i.test(t) ? 'authorityUuid'
  : /description/i.test(t) ? 'description' : /name/i.test(t) ? 'name' : null);

function raFields(r, authorities, isNew) {
  return [
    isNew ? field({ name: 'authorityUuid', label: 'Authority', type: 'select', value: '',
      options: [['', '(choose)'], ...authorities.map((a) => [a.uuid, a.name])] }) : null,
    field({ name: 'name', label: 'Name', value: r.name, readonly: !isNew }),
    field({ name: 'description', label: 'Description', value: r.description }),
    isNew ? field({ name: 'enabled', label: 'Enabled', type: 'checkbox', value: false }) : null,
    field({ name: 'attributes', label: 'Attributes (JSON array)', type: 'textarea', rows: 2,
      value: r.attributes ? JSON.stringify(r.attributes) : '', help: 'Passed to the connector as raProfileAttributes.' }),
  ].filter(Boolean);
}

function raBody(form, isNew) {
  const b = { description: value(form, 'description') };
  if (isNew) {
    b.name = value(form, 'name');
    b.enabled = value(form, 'enabled');
  }
  const attrs = value(form, 'attributes').trim();
  if (attrs !== '') {
    try {
      b.attributes = JSON.parse(attrs);
    } catch (e) {
      throw new Error(`attributes: not JSON (${e.message})`);
    }
  }
  return b;
}

export async function renderRaProfiles(main) {
  const [list, authorities, cmps] = await Promise.all([api('GET', '/raProfiles'), api('GET', '/authorities'), api('GET', '/cmpProfiles')]);
  const msg = msgBox();
  const w = canWrite();
  const again = () => renderRaProfiles(main);
  const path = (r) => `/authorities/${r.authorityUuid}/raProfiles/${r.uuid}`;
  const parts = [h('h1', {}, 'RA Profiles'), msg];
  if (w) {
    parts.push(editor('Create RA Profile', 'ra-new', raFields({}, authorities, true), async (form, m) => {
      const a = value(form, 'authorityUuid');
      try {
        if (!a) throw new Error('choose an authority');
        await api('POST', `/authorities/${a}/raProfiles`, raBody(form, true));
        await again();
      } catch (e) { refused(form, m, e, raField); }
    }, false));
  }
  const cmpCell = (r) => {
    const cur = r.cmpProfile ? r.cmpProfile.name : 'off';
    if (!w) return cur;
    const sel = field({ name: 'cmp', label: `CMP on ${r.name}`, type: 'select', value: r.cmpProfile ? r.cmpProfile.uuid : '',
      options: [['', '(off)'], ...cmps.map((c) => [c.uuid, c.name])] });
    const go = h('button', { type: 'button', dataset: { write: '' } }, 'Apply');
    go.addEventListener('click', async () => {
      const v = sel.control.value;
      try {
        if (v) await api('PATCH', `${path(r)}/protocols/cmp/activate/${v}`);
        else await api('PATCH', `${path(r)}/protocols/cmp/deactivate`);
        await again();
      } catch (e) { message(msg, e.message); }
    });
    return h('div', {}, sel, go);
  };
  parts.push(table('RA Profiles', [
    { label: 'name', cell: (r) => r.name },
    { label: 'state', cell: (r) => badge(r.enabled ? 'enabled' : 'disabled', r.enabled ? 'on' : 'off') },
    { label: 'authority', cell: (r) => r.authorityName },
    { label: 'CMP Profile', cell: cmpCell },
    { label: 'RA Profile CMP URL', cell: (r) => (r.cmpProfile ? copyField(`RA Profile CMP URL of ${r.name}`,
      `${location.origin}/api/v1/protocols/cmp/raProfile/${r.name}`) : '–') },
    ...(w ? [{ label: 'actions', cell: (r) => {
      const t = h('button', { type: 'button', dataset: { write: '' } }, r.enabled ? 'Disable' : 'Enable');
      t.addEventListener('click', async () => {
        try {
          await api('PATCH', `${path(r)}/${r.enabled ? 'disable' : 'enable'}`);
          await again();
        } catch (e) { message(msg, e.message); }
      });
      return h('div', { class: 'actions' }, t,
        editor('Save', `ra-${r.uuid}`, raFields(r, authorities, false), async (form, m) => {
          try {
            await api('PUT', path(r), raBody(form, false));
            await again();
          } catch (e) { refused(form, m, e, raField); }
        }, false),
        delButton(r.name, 'RA Profile', path(r), msg, again));
    } }] : []),
  ], list, 'No RA Profiles yet.'));
  main.replaceChildren(...parts);
}
