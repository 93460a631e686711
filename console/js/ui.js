// Building the page: elements, labelled fields, tables, messages.
let seq = 0;

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') el.textContent = v;
    else if (k === 'class') el.className = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  add(el, children);
  return el;
}

function add(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) add(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function uid(prefix) {
  seq += 1;
  return `${prefix}-${seq}`;
}

// A labelled control with room for its validation text.
// opts: {name, label, type (text|password|number|select|checkbox|textarea|file),
//        value, options [[value, text]], help, readonly, id}
export function field(opts) {
  const id = opts.id || uid(`f-${opts.name}`);
  const errId = `${id}-error`;
  const helpId = opts.help ? `${id}-help` : null;
  const describedBy = [helpId, errId].filter(Boolean).join(' ');
  let control;
  const common = { id, name: opts.name, 'aria-describedby': describedBy };
  if (opts.type === 'select') {
    control = h('select', common,
      opts.options.map(([v, t]) => h('option', { value: v, selected: String(v) === String(opts.value ?? '') }, t)));
  } else if (opts.type === 'textarea') {
    // textareas hold JSON, PEM and credentials: never spellchecked
    // (a browser's cloud spellcheck would send them away) or remembered
    control = h('textarea', { ...common, rows: opts.rows || 4, spellcheck: 'false', autocomplete: 'off' });
    control.value = opts.value ?? '';
  } else if (opts.type === 'checkbox') {
    control = h('input', { ...common, type: 'checkbox', checked: !!opts.value });
  } else {
    control = h('input', {
      ...common, type: opts.type || 'text', autocomplete: opts.autocomplete || 'off',
      readonly: !!opts.readonly, accept: opts.accept, inputmode: opts.inputmode,
      spellcheck: opts.type === 'password' ? 'false' : null,
    });
    if (opts.type !== 'file') control.value = opts.value ?? '';
  }
  const label = h('label', { for: id }, opts.label);
  const wrap = h('div', { class: opts.type === 'checkbox' ? 'field check' : 'field', dataset: { field: opts.name } },
    opts.type === 'checkbox' ? [control, label] : [label, control],
    opts.help ? h('p', { class: 'help', id: helpId }, opts.help) : null,
    h('p', { class: 'field-error', id: errId, 'aria-live': 'polite' }));
  wrap.control = control;
  return wrap;
}

export function value(form, name) {
  const el = form.elements.namedItem(name);
  if (!el) return undefined;
  if (el.type === 'checkbox') return el.checked;
  return el.value;
}

export function clearErrors(form) {
  for (const p of form.querySelectorAll('.field-error')) p.textContent = '';
  for (const c of form.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
}

// Shows text next to the field it names, else in the form's message.
export function fieldError(form, name, text) {
  const wrap = name ? form.querySelector(`[data-field="${name}"]`) : null;
  if (!wrap) return false;
  wrap.querySelector('.field-error').textContent = text;
  const c = wrap.querySelector('input, select, textarea');
  if (c) {
    c.setAttribute('aria-invalid', 'true');
    c.focus();
  }
  return true;
}

export function message(el, text, kind) {
  el.className = `msg ${kind || 'error'}`;
  el.setAttribute('role', kind === 'ok' ? 'status' : 'alert');
  el.textContent = text || '';
}

export function msgBox() {
  return h('div', { class: 'msg', 'aria-live': 'polite', dataset: { role: 'page-message' } });
}

// columns: [{label, cell(row) -> node|string, class}]
export function table(caption, columns, rows, empty) {
  if (!rows.length) return h('p', { class: 'muted' }, empty || 'None.');
  return h('div', { class: 'table-wrap' },
    h('table', {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c.label)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c) => h('td', { class: c.class || null }, c.cell(r))))))));
}

export function badge(text, cls) {
  return h('span', { class: `badge ${cls || text}` }, text);
}

// A read-only URL with a copy button.
export function copyField(label, url) {
  const id = uid('url');
  const input = h('input', { id, type: 'text', readonly: true, value: url, class: 'mono' });
  input.value = url;
  const btn = h('button', {
    type: 'button', class: 'copy-btn', 'aria-label': `Copy ${label}`,
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(url);
        btn.textContent = 'Copied';
      } catch (e) {
        input.select();
        btn.textContent = 'Selected: press Ctrl+C';
      }
      setTimeout(() => { btn.textContent = 'Copy'; }, 2500);
    },
  }, 'Copy');
  return h('div', { class: 'copy' }, h('label', { for: id, class: 'visually-hidden-label' }, label), input, btn);
}

// Asks before a destructive action, in place (keyboard reachable).
export function confirmInline(anchor, text, yesLabel, onYes) {
  const box = h('div', { class: 'confirm', role: 'group', 'aria-label': text },
    h('span', {}, text));
  const yes = h('button', { type: 'button', class: 'danger', dataset: { write: '' } }, yesLabel);
  const no = h('button', { type: 'button' }, 'Cancel');
  box.append(yes, no);
  anchor.hidden = true;
  anchor.after(box);
  no.addEventListener('click', () => { box.remove(); anchor.hidden = false; anchor.focus(); });
  yes.addEventListener('click', async () => {
    yes.disabled = true;
    try {
      await onYes();
    } finally {
      box.remove();
      anchor.hidden = false;
    }
  });
  yes.focus();
}

export function readFile(input) {
  const f = input.files && input.files[0];
  if (!f) return Promise.resolve(null);
  return f.text();
}

export function fmtTime(ts) {
  return ts ? ts.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '';
}
