// CMP Profiles: list, create, edit, enable/disable, delete; shared
// secret, signing credentials and trust anchors from files; the URLs.
import { api, canWrite, enc, ApiError } from './api.js';
import { h, field, value, clearErrors, fieldError, message, msgBox, table, badge,
  copyField, confirmInline, readFile } from './ui.js';

// Which field an API validation text is about.
const FIELD_TEXTS = [
  [/CMP Profile name|name of a CMP Profile|CMP Profile \S+ already exists/, 'name'],
  [/^[Vv]ariant/, 'variant'],
  [/requestProtectionMethod|signature-protected request/, 'requestProtectionMethod'],
  [/responseProtectionMethod/, 'responseProtectionMethod'],
  [/Shared secret|sharedSecret\b|secret_key_file/, 'sharedSecret'],
  [/sharedSecretReference/, 'sharedSecretReference'],
  [/signingCredentials|Signing certificate/, 'signingKey'],
  [/trustAnchors|^certificates:/, 'trustAnchors'],
  [/RA Profile/, 'raProfileUuid'],
  [/subjectPolicy/, 'subjectPolicy'],
  [/caPubs/, 'caPubs'],
  [/certReqMax/, 'certReqMax'],
  [/syncBudget/, 'syncBudget'],
  [/confirmWaitTime/, 'confirmWaitTime'],
  [/description/, 'description'],
];

export function fieldFor(text) {
  for (const [re, name] of FIELD_TEXTS) if (re.test(text)) return name;
  return null;
}

function urls(p) {
  const base = p.cmpUrl.slice(0, p.cmpUrl.indexOf('/api/v1/'));
  return [
    ['CMP URL', p.cmpUrl],
    ['RFC 9811 URL', `${base}/.well-known/cmp/p/${p.name}`],
  ];
}

export async function renderList(main) {
  const list = await api('GET', '/cmpProfiles');
  const msg = msgBox();
  const w = canWrite();
  const rows = table('CMP Profiles', [
    { label: 'name', cell: (p) => h('a', { href: `#/cmp-profiles/${p.uuid}`, dataset: { profile: p.name } }, p.name) },
    { label: 'state', cell: (p) => badge(p.enabled ? 'enabled' : 'disabled', p.enabled ? 'on' : 'off') },
    { label: 'variant', cell: (p) => p.variant },
    { label: 'RA Profile', cell: (p) => (p.raProfile ? p.raProfile.name : '–') },
    { label: 'CMP URL', cell: (p) => copyField(`CMP URL of ${p.name}`, p.cmpUrl) },
    ...(w ? [{ label: 'actions', cell: (p) => actions(p, msg) }] : []),
  ], list, 'No CMP Profiles yet.');
  main.replaceChildren(h('h1', {}, 'CMP Profiles'), msg,
    w ? h('p', {}, h('a', { href: '#/cmp-profiles/new', id: 'cmp-new', dataset: { write: '' } }, 'New CMP Profile')) : null,
    rows);
}

function actions(p, msg) {
  const toggle = h('button', { type: 'button', dataset: { write: '', action: p.enabled ? 'disable' : 'enable', profile: p.name } },
    p.enabled ? 'Disable' : 'Enable');
  toggle.addEventListener('click', async () => {
    try {
      await api('PATCH', `/cmpProfiles/${p.uuid}/${p.enabled ? 'disable' : 'enable'}`);
      await renderList(document.getElementById('main'));
    } catch (e) {
      message(msg, e.message);
    }
  });
  const del = h('button', { type: 'button', class: 'danger', dataset: { write: '', action: 'delete', profile: p.name } }, 'Delete');
  del.addEventListener('click', () => confirmInline(del, `Delete CMP Profile ${p.name}?`, 'Delete', async () => {
    try {
      await api('DELETE', `/cmpProfiles/${p.uuid}`);
      await renderList(document.getElementById('main'));
      message(document.querySelector('[data-role="page-message"]'), `CMP Profile ${p.name} deleted.`, 'ok');
    } catch (e) {
      message(msg, e.message);
    }
  }));
  return h('div', { class: 'actions' }, toggle, del);
}

async function raOptions() {
  const ras = await api('GET', '/raProfiles');
  return [['', '(none)'], ...ras.map((r) => [r.uuid, `${r.name} (${r.authorityName})`])];
}

const yesNo = (v) => (v ? 'true' : 'false');

function profileForm(p, ras, isNew) {
  const f = (o) => field(o);
  const form = h('form', { class: 'stack', id: 'cmp-form', novalidate: true },
    h('fieldset', {}, h('legend', {}, 'Profile'),
      f({ name: 'name', label: 'Name', value: p.name, readonly: !isNew, id: 'cmp-name',
        help: isNew ? 'Part of the devices\' URL; it cannot change later.' : 'Names cannot change: they are in the devices\' URLs.' }),
      f({ name: 'description', label: 'Description', value: p.description, id: 'cmp-description' }),
      f({ name: 'variant', label: 'Variant', type: 'select', value: p.variant || 'v2', id: 'cmp-variant',
        options: [['v2', 'v2 (RFC 4210)'], ['v3', 'v3 (RFC 9810)'], ['v2_3gpp', 'v2_3gpp (3GPP TS 33.310)']] }),
      f({ name: 'raProfileUuid', label: 'Default RA Profile', type: 'select', options: ras, id: 'cmp-ra',
        value: p.raProfile ? p.raProfile.uuid : '' })),
    h('fieldset', {}, h('legend', {}, 'Protection'),
      f({ name: 'requestProtectionMethod', label: 'Request protection', type: 'select', id: 'cmp-reqprot',
        value: p.requestProtectionMethod || 'sharedSecret', options: [['sharedSecret', 'shared secret (MAC)'], ['signature', 'signature']] }),
      f({ name: 'responseProtectionMethod', label: 'Response protection', type: 'select', id: 'cmp-rspprot',
        value: p.responseProtectionMethod || 'sharedSecret', options: [['sharedSecret', 'shared secret (MAC)'], ['signature', 'signature']] }),
      f({ name: 'sharedSecret', label: 'Shared secret', type: 'password', id: 'cmp-secret', autocomplete: 'new-password',
        help: isNew ? 'Write-only: never shown again.' : `Write-only. ${p.hasSharedSecret ? 'A secret is set; leave empty to keep it.' : 'No secret is set.'}` }),
      f({ name: 'sharedSecretFile', label: 'Shared secret from a file', type: 'file', id: 'cmp-secret-file',
        help: 'Instead of typing it: the file\'s content (one trailing newline removed).' }),
      f({ name: 'sharedSecretReference', label: 'Shared secret reference (senderKID)', value: p.sharedSecretReference, id: 'cmp-secret-ref' }),
      f({ name: 'signingKey', label: 'Signing private key (PEM file)', type: 'file', id: 'cmp-sign-key', accept: '.pem,.key',
        help: p.signingCertificate ? `Set: ${p.signingCertificate.subject}. Upload both files to replace.` : 'With the certificate chain below: what signed answers are signed with.' }),
      f({ name: 'signingChain', label: 'Signing certificate and chain (PEM file)', type: 'file', id: 'cmp-sign-chain', accept: '.pem,.crt' }),
      f({ name: 'trustAnchors', label: 'Trust anchors (PEM file: certificates, CRLs)', type: 'file', id: 'cmp-anchors', accept: '.pem,.crt',
        help: `${p.trustAnchorCount || 0} anchors, ${p.trustAnchorCrlCount || 0} CRLs now. An upload replaces both.` })),
    h('fieldset', {}, h('legend', {}, 'Policy'),
      f({ name: 'implicitConfirmAllowed', label: 'Implicit confirmation allowed', type: 'checkbox', value: p.implicitConfirmAllowed ?? true, id: 'cmp-implicit' }),
      f({ name: 'confirmWaitTime', label: 'Confirmation wait time (seconds)', type: 'number', value: p.confirmWaitTime ?? '', id: 'cmp-confirm-wait', inputmode: 'numeric' }),
      f({ name: 'subjectPolicy', label: 'Subject policy', type: 'select', value: p.subjectPolicy || 'signer', id: 'cmp-subject-policy',
        options: [['signer', 'signer: only the signer\'s subject'], ['any', 'any subject']] }),
      f({ name: 'caPubs', label: 'caPubs in ip', type: 'select', value: p.caPubs || 'sharedSecret', id: 'cmp-capubs',
        options: [['sharedSecret', 'sharedSecret'], ['always', 'always'], ['never', 'never']] }),
      f({ name: 'certReqMax', label: 'CertReqMsgs per request (certReqMax)', type: 'number', value: p.certReqMax ?? '', id: 'cmp-certreqmax', inputmode: 'numeric' }),
      f({ name: 'syncBudget', label: 'CA wait budget (syncBudget, seconds)', type: 'number', value: p.syncBudget ?? '', id: 'cmp-syncbudget', inputmode: 'numeric' }),
      f({ name: 'legacyPbm', label: 'Accept SHA-1 as PBM owf (legacyPbm)', type: 'checkbox', value: p.legacyPbm ?? false, id: 'cmp-legacypbm' }),
      f({ name: 'profileSecretFallback', label: 'Profile secret when no device entry matches', type: 'checkbox', value: p.profileSecretFallback ?? true, id: 'cmp-fallback' }),
      f({ name: 'centralKeyGeneration', label: 'Generate keys for requests without one (centralKeyGeneration)', type: 'checkbox', value: p.centralKeyGeneration ?? false, id: 'cmp-ckg' })),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', class: 'primary', id: 'cmp-save', dataset: { write: '' } }, isNew ? 'Create' : 'Save'),
      h('a', { href: '#/cmp-profiles' }, 'Back to the list')));
  return form;
}

function stripNewline(s) {
  return s.replace(/\r?\n$/, '');
}

async function bodyOf(form, isNew) {
  const b = {};
  const str = (n) => value(form, n);
  if (isNew) b.name = str('name');
  b.description = str('description');
  b.variant = str('variant');
  b.requestProtectionMethod = str('requestProtectionMethod');
  b.responseProtectionMethod = str('responseProtectionMethod');
  let secret = str('sharedSecret');
  const fromFile = await readFile(form.elements.namedItem('sharedSecretFile'));
  if (fromFile !== null) secret = stripNewline(fromFile);
  // a new profile always names its secret, so that the API judges it;
  // an edit without one keeps the secret set
  if (isNew ? b.requestProtectionMethod === 'sharedSecret' || secret !== '' : secret !== '') b.sharedSecret = secret;
  if (str('sharedSecretReference') !== '') b.sharedSecretReference = str('sharedSecretReference');
  if (str('raProfileUuid') !== '') b.raProfileUuid = str('raProfileUuid');
  b.implicitConfirmAllowed = str('implicitConfirmAllowed');
  b.subjectPolicy = str('subjectPolicy');
  b.caPubs = str('caPubs');
  b.legacyPbm = str('legacyPbm');
  b.profileSecretFallback = str('profileSecretFallback');
  b.centralKeyGeneration = str('centralKeyGeneration');
  for (const n of ['confirmWaitTime', 'certReqMax', 'syncBudget']) {
    if (str(n) !== '') b[n] = Number(str(n));
  }
  return b;
}

async function files(form) {
  return {
    key: await readFile(form.elements.namedItem('signingKey')),
    chain: await readFile(form.elements.namedItem('signingChain')),
    anchors: await readFile(form.elements.namedItem('trustAnchors')),
  };
}

function showRefusal(form, msg, e) {
  const name = e instanceof ApiError ? fieldFor(e.message) : null;
  if (!fieldError(form, name, e.message)) message(msg, e.message);
  else message(msg, `The API refused it: ${e.message}`);
}

export async function renderNew(main) {
  if (!canWrite()) {
    main.replaceChildren(h('h1', {}, 'New CMP Profile'), h('p', {}, 'Your role may not create CMP Profiles.'));
    return;
  }
  const ras = await raOptions();
  const msg = msgBox();
  const form = profileForm({}, ras, true);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    message(msg, '');
    try {
      const b = await bodyOf(form, true);
      const fl = await files(form);
      if (fl.key !== null || fl.chain !== null) b.signingCredentials = { privateKey: fl.key || '', certificateChain: fl.chain || '' };
      if (fl.anchors !== null) b.trustAnchors = fl.anchors;
      const p = await api('POST', '/cmpProfiles', b);
      location.hash = `#/cmp-profiles/${p.uuid}`;
    } catch (e) {
      showRefusal(form, msg, e);
    }
  });
  main.replaceChildren(h('h1', {}, 'New CMP Profile'), msg, form);
}

export async function renderEdit(main, [uuid]) {
  const p = await api('GET', `/cmpProfiles/${enc(uuid)}`);
  const w = canWrite();
  const msg = msgBox();
  const parts = [h('h1', {}, `CMP Profile ${p.name}`), msg,
    h('p', {}, badge(p.enabled ? 'enabled' : 'disabled', p.enabled ? 'on' : 'off'), ' ',
      p.raProfile ? `default RA Profile ${p.raProfile.name}` : 'no default RA Profile')];
  parts.push(h('h2', {}, 'CMP URLs'));
  parts.push(h('div', { class: 'stack', id: 'cmp-urls' }, urls(p).map(([l, u]) => h('div', { class: 'field' }, h('span', {}, l), copyField(`${l} of ${p.name}`, u)))));
  if (w) {
    const toggle = h('button', { type: 'button', id: 'cmp-toggle', dataset: { write: '' } }, p.enabled ? 'Disable' : 'Enable');
    toggle.addEventListener('click', async () => {
      try {
        await api('PATCH', `/cmpProfiles/${p.uuid}/${p.enabled ? 'disable' : 'enable'}`);
        await renderEdit(main, [uuid]);
        message(main.querySelector('[data-role="page-message"]'), `CMP Profile ${p.name} ${p.enabled ? 'disabled' : 'enabled'}.`, 'ok');
      } catch (e) {
        message(msg, e.message);
      }
    });
    const del = h('button', { type: 'button', class: 'danger', id: 'cmp-delete', dataset: { write: '' } }, 'Delete');
    del.addEventListener('click', () => confirmInline(del, `Delete CMP Profile ${p.name}?`, 'Delete', async () => {
      try {
        await api('DELETE', `/cmpProfiles/${p.uuid}`);
        location.hash = '#/cmp-profiles';
      } catch (e) {
        message(msg, e.message);
      }
    }));
    parts.push(h('div', { class: 'actions' }, toggle, del));
    const ras = await raOptions();
    const form = profileForm(p, ras, false);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      message(msg, '');
      try {
        const fl = await files(form);
        await api('PUT', `/cmpProfiles/${p.uuid}`, await bodyOf(form, false));
        if (fl.key !== null || fl.chain !== null) {
          await api('PUT', `/cmpProfiles/${p.uuid}/signingCredentials`, { privateKey: fl.key || '', certificateChain: fl.chain || '' });
        }
        if (fl.anchors !== null) await api('PUT', `/cmpProfiles/${p.uuid}/trustAnchors`, { certificates: fl.anchors });
        await renderEdit(main, [uuid]);
        message(main.querySelector('[data-role="page-message"]'), `CMP Profile ${p.name} saved.`, 'ok');
      } catch (e) {
        showRefusal(form, msg, e);
      }
    });
    parts.push(h('h2', {}, 'Settings'), form);
  } else {
    parts.push(h('h2', {}, 'Settings'), h('div', { class: 'table-wrap' }, h('table', {}, h('caption', {}, 'Settings'),
      h('tbody', {}, ['variant', 'requestProtectionMethod', 'responseProtectionMethod', 'hasSharedSecret', 'sharedSecretReference',
        'trustAnchorCount', 'implicitConfirmAllowed', 'confirmWaitTime', 'subjectPolicy', 'caPubs', 'certReqMax', 'syncBudget',
        'legacyPbm', 'profileSecretFallback', 'centralKeyGeneration', 'createdAt', 'updatedAt']
        .map((k) => h('tr', {}, h('th', { scope: 'row' }, k), h('td', {}, String(p[k] ?? '–'))))))));
  }
  main.replaceChildren(...parts);
}
