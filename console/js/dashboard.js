// Dashboard: enrolments, failures and latency from /metrics, the CMP
// Profiles with their URLs, database and connector health from /health.
import { api, plain } from './api.js';
import { h, table, badge, copyField, fmtTime } from './ui.js';

const ENROL = new Set(['ir', 'cr', 'kur', 'p10cr']);
const CMP_ROUTES = new Set(['cmpProfile', 'raProfile']);

// Prometheus text format: [{name, labels, value}]
export function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] || '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

function summarize(samples) {
  let enrolled = 0;
  let refused = 0;
  const failures = new Map();
  const failInfo = new Map();
  const buckets = new Map();
  let sum = 0;
  let count = 0;
  for (const s of samples) {
    if (s.name === 'cmpd_requests_total' && CMP_ROUTES.has(s.labels.route)) {
      if (s.labels.outcome === 'CMPF_OK') {
        if (ENROL.has(s.labels.body)) enrolled += s.value;
      } else {
        refused += s.value;
        failures.set(s.labels.outcome, (failures.get(s.labels.outcome) || 0) + s.value);
      }
    } else if (s.name === 'cmpd_cmp_failures_total') {
      failInfo.set(s.labels.failInfo, (failInfo.get(s.labels.failInfo) || 0) + s.value);
    } else if (s.name === 'cmpd_request_duration_seconds_bucket' && CMP_ROUTES.has(s.labels.route)) {
      const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      buckets.set(le, (buckets.get(le) || 0) + s.value);
    } else if (s.name === 'cmpd_request_duration_seconds_sum' && CMP_ROUTES.has(s.labels.route)) {
      sum += s.value;
    } else if (s.name === 'cmpd_request_duration_seconds_count' && CMP_ROUTES.has(s.labels.route)) {
      count += s.value;
    }
  }
  const le = [...buckets.keys()].sort((a, b) => a - b);
  const quantile = (q) => {
    if (!count) return null;
    for (const b of le) if (buckets.get(b) >= q * count) return b;
    return null;
  };
  return { enrolled, refused, failures, failInfo, count, mean: count ? sum / count : null, p50: quantile(0.5), p95: quantile(0.95) };
}

function ms(s) {
  if (s === null || s === undefined) return '–';
  if (s === Infinity) return 'over the last bucket';
  return `${Math.round(s * 1000)} ms`;
}

function card(label, val, id) {
  return h('div', { class: 'card', id }, h('span', { class: 'n' }, val), label);
}

export async function render(main) {
  const [metrics, health, profiles, txs] = await Promise.all([
    plain('/metrics', 'text/plain').catch((e) => ({ status: 0, text: e.message })),
    plain('/health', 'application/json').catch((e) => ({ status: 0, text: e.message })),
    api('GET', '/cmpProfiles'),
    api('GET', '/cmpTransactions?limit=10'),
  ]);
  const parts = [h('h1', {}, 'Dashboard')];

  parts.push(h('h2', {}, 'CMP requests'));
  if (metrics.status === 200) {
    const s = summarize(parseMetrics(metrics.text));
    parts.push(h('div', { class: 'cards' },
      card('certificates enrolled (ir, cr, kur, p10cr)', s.enrolled, 'dash-enrolled'),
      card('CMP requests refused', s.refused, 'dash-refused'),
      card('mean latency', ms(s.mean), 'dash-latency-mean'),
      card('latency p50 / p95 (bucket bound)', `${ms(s.p50)} / ${ms(s.p95)}`, 'dash-latency-p')));
    const byCount = (m) => [...m.entries()].sort((a, b) => b[1] - a[1]);
    parts.push(h('h2', {}, 'Failures by failInfo'));
    parts.push(h('div', { id: 'dash-failinfo' }, table('Refused CMP requests by PKIFailureInfo', [
      { label: 'failInfo', cell: (r) => r[0], class: 'mono' },
      { label: 'requests', cell: (r) => String(r[1]) },
    ], byCount(s.failInfo), 'No CMP request was refused since cmpd started.')));
    if (s.failures.size) {
      parts.push(h('details', {}, h('summary', {}, 'The same by cmpd\'s failure (doc/errors.md)'),
        table('Refused CMP requests by failure', [
          { label: 'failure', cell: (r) => r[0], class: 'mono' },
          { label: 'requests', cell: (r) => String(r[1]) },
        ], byCount(s.failures))));
    }
    parts.push(h('p', { class: 'muted' }, 'Counted since cmpd started (GET /metrics).'));
  } else {
    parts.push(h('p', { class: 'msg error', id: 'dash-metrics-error' },
      `GET /metrics answered ${metrics.status || 'nothing'}: ${metrics.text.trim().slice(0, 200) || 'no text'}` +
      (metrics.status === 403 ? ' (the web server serves /metrics to the host itself only)' : '')));
  }

  parts.push(h('h2', {}, 'Recent CMP transactions'));
  parts.push(table('The newest CMP transactions', [
    { label: 'transactionID', cell: (t) => t.transactionId, class: 'mono' },
    { label: 'type', cell: (t) => t.requestType },
    { label: 'state', cell: (t) => badge(t.state) },
    { label: 'at', cell: (t) => fmtTime(t.createdAt) },
  ], txs.slice(0, 10), 'No transactions yet.'));

  parts.push(h('h2', {}, 'CMP Profiles'));
  parts.push(table('CMP Profiles and their URLs', [
    { label: 'name', cell: (p) => h('a', { href: `#/cmp-profiles/${p.uuid}` }, p.name) },
    { label: 'state', cell: (p) => badge(p.enabled ? 'enabled' : 'disabled', p.enabled ? 'on' : 'off') },
    { label: 'CMP URL', cell: (p) => copyField(`CMP URL of ${p.name}`, p.cmpUrl) },
  ], profiles, 'No CMP Profiles yet.'));

  parts.push(h('h2', {}, 'Health'));
  let hj = null;
  try { hj = JSON.parse(health.text); } catch (e) { hj = null; }
  if (hj && (health.status === 200 || health.status === 503)) {
    const eps = hj.databaseEndpoints || [];
    parts.push(h('div', { class: 'cards', id: 'dash-health' },
      card('overall', badge(hj.status, hj.status === 'ok' ? 'ok' : 'down'), 'dash-health-status'),
      card('database', badge(hj.database, hj.database === 'ok' ? 'ok' : 'down'), 'dash-health-db'),
      card('connectors reachable', `${hj.connectors.reachable} / ${hj.connectors.checked}`, 'dash-health-conn')));
    if (eps.length) {
      parts.push(table('Database endpoints', [
        { label: 'endpoint', cell: (e) => e.endpoint, class: 'mono' },
        { label: 'status', cell: (e) => badge(e.status, e.status === 'up' ? 'ok' : 'down') },
        { label: 'in use', cell: (e) => (e.current ? 'yes' : '') },
      ], eps));
    }
  } else {
    parts.push(h('p', { class: 'msg error', id: 'dash-health-error' },
      `GET /health answered ${health.status || 'nothing'}: ${health.text.trim().slice(0, 200) || 'no text'}` +
      (health.status === 403 ? ' (the web server serves /health to the host itself only)' : '')));
  }
  main.replaceChildren(...parts);
}
