// The inventory: certificates (search by subject, serial and state;
// revoke with a reason) and CMP transactions.
import { api, canWrite } from './api.js';
import { h, field, value, message, msgBox, table, badge, fmtTime } from './ui.js';

const CERT_STATES = ['pending', 'issued', 'rejected', 'revoked', 'revoke_pending'];
const REASONS = ['keyCompromise', 'unspecified', 'cACompromise', 'affiliationChanged', 'superseded',
  'cessationOfOperation', 'certificateHold', 'privilegeWithdrawn', 'aACompromise'];
const TX_STATES = ['issuing', 'waiting', 'confirm_wait', 'confirmed', 'rejected', 'failed', 'expired', 'unknown_at_ca', 'open'];
// What a state means (doc/api.md), for the transactions that ended badly.
const TX_TEXT = {
  issuing: 'asked the CA; the outcome is not known yet (the sweep asks the CA)',
  waiting: 'delayed delivery: the CA has not issued yet, the client polls',
  confirm_wait: 'issued; waiting for the client\'s certConf',
  confirmed: 'done',
  rejected: 'the client rejected the certificate in its certConf; it was revoked',
  failed: 'the CA refused the request, or it was never sent to the CA',
  expired: 'no certConf or poll in time; what the CA issued was revoked',
  unknown_at_ca: 'the CA cannot be asked what it did: an operator checks the CA',
  open: 'a row of an earlier version',
};

// a page of the certificates and of the transactions
const CERT_PAGE = 100;
let certQuery = { subject: '', serialNumber: '', status: '' };
// the page: after the certificate of this uuid (keyset paging), '' for the first
let certAfter = '';

function revokeControl(c, msg, again) {
  const wrap = h('div', { class: 'actions' });
  const sel = field({ name: 'reason', label: `Revocation reason for ${c.serialNumber}`, type: 'select', value: 'keyCompromise',
    options: REASONS.map((r) => [r, r]) });
  const b = h('button', { type: 'button', class: 'danger', dataset: { write: '', action: 'revoke', serial: c.serialNumber } }, 'Revoke');
  b.addEventListener('click', async () => {
    b.disabled = true;
    try {
      const r = await api('POST', `/certificates/${c.uuid}/revoke`, { reason: sel.control.value });
      await again();
      message(document.querySelector('[data-role="page-message"]'),
        `Certificate ${r.serialNumber} is ${r.status} (${r.revocationReason}); the CA revokes it within seconds.`, 'ok');
    } catch (e) {
      b.disabled = false;
      message(msg, e.message);
    }
  });
  wrap.append(sel, b);
  return wrap;
}

export async function renderCertificates(main) {
  const q = new URLSearchParams({ limit: String(CERT_PAGE) });
  for (const [k, v] of Object.entries(certQuery)) if (v) q.set(k, v);
  if (certAfter) q.set('after', certAfter);
  const msg = msgBox();
  let list = [];
  try {
    list = await api('GET', `/certificates?${q}`);
  } catch (e) {
    message(msg, e.message);
  }
  const w = canWrite();
  const again = () => renderCertificates(main);
  const form = h('form', { class: 'toolbar', id: 'cert-search', role: 'search', novalidate: true },
    field({ name: 'subject', label: 'Subject starts with', type: 'search', value: certQuery.subject, id: 'cert-q-subject',
      help: 'As shown, e.g. CN=device-1' }),
    field({ name: 'serialNumber', label: 'Serial number (hex)', type: 'search', value: certQuery.serialNumber, id: 'cert-q-serial' }),
    field({ name: 'status', label: 'State', type: 'select', value: certQuery.status, id: 'cert-q-status',
      options: [['', '(any)'], ...CERT_STATES.map((s) => [s, s])] }),
    h('button', { type: 'submit', class: 'primary', id: 'cert-q-go' }, 'Search'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    certQuery = { subject: value(form, 'subject').trim(), serialNumber: value(form, 'serialNumber').trim(), status: value(form, 'status') };
    certAfter = '';
    again();
  });
  const rows = table('Certificates', [
    { label: 'serial', cell: (c) => c.serialNumber, class: 'mono' },
    { label: 'subject', cell: (c) => c.subject },
    { label: 'state', cell: (c) => h('span', { dataset: { certState: c.serialNumber } }, badge(c.status),
      c.revocationReason ? ` ${c.revocationReason}` : '') },
    { label: 'not after', cell: (c) => fmtTime(c.notAfter) },
    { label: 'revocation', cell: (c) => (c.status === 'revoke_pending'
      ? `attempts ${c.revokeAttempts}${c.lastRevokeError ? `; last error: ${c.lastRevokeError}` : ''}` : '') },
    ...(w ? [{ label: 'actions', cell: (c) => (c.status === 'issued' || (c.status === 'revoked' && c.revocationReason === 'certificateHold')
      ? revokeControl(c, msg, again) : '') }] : []),
  ], list, 'No certificate matches.');
  const pager = h('div', { class: 'actions' });
  if (certAfter) {
    const first = h('button', { type: 'button', id: 'cert-first' }, 'First page');
    first.addEventListener('click', () => { certAfter = ''; again(); });
    pager.append(first);
  }
  // a full page: there may be more, newest first, after its last one
  if (list.length === CERT_PAGE) {
    const next = h('button', { type: 'button', id: 'cert-next' }, `Next ${CERT_PAGE}`);
    next.addEventListener('click', () => { certAfter = list[list.length - 1].uuid; again(); });
    pager.append(next);
  }
  main.replaceChildren(h('h1', {}, 'Certificates'), msg, form, rows,
    h('p', { class: 'muted', id: 'cert-count' }, `${list.length} shown (at most ${CERT_PAGE} a page).`), pager);
}

let txState = '';
// the page: after this entry (transactionId, position), null for the first
let txAfter = null;

export async function renderTransactions(main) {
  const q = new URLSearchParams({ limit: String(CERT_PAGE) });
  if (txState) q.set('state', txState);
  if (txAfter) {
    q.set('after', txAfter.transactionId);
    q.set('afterPosition', String(txAfter.position));
  }
  const msg = msgBox();
  let list = [];
  try {
    list = await api('GET', `/cmpTransactions?${q}`);
  } catch (e) {
    message(msg, e.message);
  }
  const form = h('form', { class: 'toolbar', role: 'search', id: 'tx-search', novalidate: true },
    field({ name: 'state', label: 'State', type: 'select', value: txState, id: 'tx-q-state',
      options: [['', '(any)'], ...TX_STATES.map((s) => [s, s])] }),
    h('button', { type: 'submit', class: 'primary' }, 'Filter'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    txState = value(form, 'state');
    txAfter = null;
    renderTransactions(main);
  });
  const pager = h('div', { class: 'actions' });
  if (txAfter) {
    const first = h('button', { type: 'button', id: 'tx-first' }, 'First page');
    first.addEventListener('click', () => { txAfter = null; renderTransactions(main); });
    pager.append(first);
  }
  if (list.length === CERT_PAGE) {
    const next = h('button', { type: 'button', id: 'tx-next' }, `Next ${CERT_PAGE}`);
    const last = list[list.length - 1];
    next.addEventListener('click', () => {
      txAfter = { transactionId: last.transactionId, position: last.position };
      renderTransactions(main);
    });
    pager.append(next);
  }
  main.replaceChildren(h('h1', {}, 'Transactions'), msg, form, table('CMP transactions', [
    { label: 'transactionID', cell: (t) => t.transactionId + (t.position ? ` #${t.position}` : ''), class: 'mono' },
    { label: 'type', cell: (t) => t.requestType },
    { label: 'state', cell: (t) => badge(t.state) },
    { label: 'what it means', cell: (t) => TX_TEXT[t.state] || '' },
    { label: 'failure', cell: (t) => t.failure || '' },
    { label: 'certificate', cell: (t) => t.certificateUuid || '–', class: 'mono' },
    { label: 'created', cell: (t) => fmtTime(t.createdAt) },
  ], list, 'No transactions.'), pager);
}
