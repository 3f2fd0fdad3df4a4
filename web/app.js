/* app.js - the leakfleet dashboard: a hash router and five views (inventory, location,
 * trends, services, notifications) over the server's JSON API. Every value from the wire
 * reaches the page as text (textContent, never innerHTML): function names, labels and
 * service names are chosen by whoever pushes profiles. Charts are uPlot (web/bundle.sh). */
'use strict';

(function () {
  const view = document.getElementById('view');
  const TOKEN_KEY = 'leakfleet.adminToken';
  let settings = { source_url: null, live_window: 300, threshold: 100, projection_target: 10000 };
  let charts = [];

  /* ---- small helpers ---------------------------------------------------------------- */

  /* el('td', {class: 'num'}, 'text', child...) - strings become text nodes. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function destroyCharts() {
    for (const chart of charts) chart.destroy();
    charts = [];
  }

  function fmtTime(unix) {
    if (!unix) return '—';
    const d = new Date(unix * 1000);
    return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  }

  function fmtAgo(unix) {
    if (!unix) return '—';
    const s = Math.max(0, Math.round(Date.now() / 1000 - unix));
    if (s < 120) return s + ' s ago';
    if (s < 7200) return Math.round(s / 60) + ' min ago';
    if (s < 172800) return Math.round(s / 3600) + ' h ago';
    return Math.round(s / 86400) + ' d ago';
  }

  function fmtGrowth(g) {
    if (g === null || g === undefined) return '—';
    const sign = g > 0 ? '+' : '';
    return sign + (Math.abs(g) >= 10 ? g.toFixed(0) : g.toFixed(1)) + '/h';
  }

  function projection(count, growth) {
    if (!growth || growth <= 0) return null;
    const target = settings.projection_target;
    if (count >= target) return 'over ' + target + ' now';
    const hours = (target - count) / growth;
    return 'reaches ' + target + ' in ' + (hours < 48 ? hours.toFixed(1) + ' h' : (hours / 24).toFixed(1) + ' d');
  }

  function parseHash() {
    const hash = location.hash.replace(/^#/, '') || '/';
    const [path, query] = hash.split('?');
    return { path, params: new URLSearchParams(query || '') };
  }

  function setHash(path, params) {
    const query = params.toString();
    const next = '#' + path + (query ? '?' + query : '');
    if (location.hash !== next) location.hash = next;
    else route();
  }

  async function api(path, options) {
    const response = await fetch(path, options);
    let body = null;
    try {
      body = await response.json();
    } catch (e) {
      body = null;
    }
    if (!response.ok) {
      const message = body && body.error ? body.error : response.status + ' ' + response.statusText;
      const error = new Error(message);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  function adminToken() {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  }

  function showError(error) {
    clear(view);
    view.appendChild(el('p', { class: 'error', role: 'alert' }, 'Error: ' + error.message));
  }

  function siteCell(row) {
    return el('td', { class: 'site' },
      el('a', { class: 'function', href: '#/location/' + row.location_id }, row.function),
      el('div', { class: 'file' }, row.file + ':' + row.line));
  }

  function stateBadge(state) {
    return state ? el('span', { class: 'badge ' + state }, state) : el('span', { class: 'muted' }, '—');
  }

  function selectFilter(name, label, values, current, onChange) {
    const select = el('select', { name, 'aria-label': label, onchange: (e) => onChange(e.target.value) },
      el('option', { value: '' }, 'any'));
    for (const v of [...new Set(values)].sort()) {
      select.appendChild(el('option', { value: v, selected: v === current }, v));
    }
    return el('label', {}, label, select);
  }

  function sourceLink(path, line) {
    if (!settings.source_url || !path) return null;
    const url = settings.source_url.replace('{path}', encodeURI(path)).replace('{line}', String(line));
    if (!/^https?:\/\//.test(url)) return null;
    return el('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, 'source');
  }

  /* A time chart: xs in unix seconds, one series per name. */
  function timeChart(container, xs, series, width, height, small) {
    const data = [xs, ...series.map((s) => s.values)];
    const palette = ['#2f6fb0', '#b3261e', '#1a7f37', '#9a6700', '#6f42c1', '#0a7f8c'];
    const opts = {
      width, height,
      legend: { show: !small },
      cursor: { show: !small },
      scales: { x: { time: true } },
      axes: small ? [{ show: false }, { show: false }] : [{}, { label: 'goroutines' }],
      series: [{}, ...series.map((s, i) => ({ label: s.name, stroke: palette[i % palette.length], width: small ? 1.5 : 2, spanGaps: true }))],
    };
    const chart = new uPlot(opts, data, container);
    charts.push(chart);
    return chart;
  }

  /* Merges [[ts, count]...] per name into one x axis with nulls where a series is absent. */
  function mergeSeries(named) {
    const xs = [...new Set(named.flatMap((n) => n.points.map((p) => p[0])))].sort((a, b) => a - b);
    const index = new Map(xs.map((x, i) => [x, i]));
    const series = named.map((n) => {
      const values = new Array(xs.length).fill(null);
      for (const [ts, count] of n.points) values[index.get(ts)] = count;
      return { name: n.name, values };
    });
    return { xs, series };
  }

  /* ---- inventory -------------------------------------------------------------------- */

  const COLUMNS = [
    { key: 'service', label: 'Service' },
    { key: 'function', label: 'Site' },
    { key: 'op', label: 'Op' },
    { key: 'count', label: 'Count', num: true },
    { key: 'growth_per_hour', label: 'Growth/hour', num: true },
    { key: 'owner', label: 'Owner' },
    { key: 'first_seen', label: 'First seen', num: true },
    { key: 'state', label: 'Notification' },
  ];

  async function viewInventory(params) {
    const all = params.get('all') === '1';
    const started = performance.now();
    const [leaks, queue] = await Promise.all([
      api('/api/v1/leaks' + (all ? '?all=1' : '')),
      api('/api/v1/notifications').catch(() => ({ notifications: [] })),
    ]);
    const fetched = performance.now();
    const states = new Map();
    for (const n of queue.notifications || []) {
      const key = n.service + '\u0000' + n.location_id;
      if (!states.has(key)) states.set(key, n.state);
    }
    let rows = (leaks.leaks || []).map((r) => Object.assign({}, r, { state: states.get(r.service + '\u0000' + r.location_id) || null }));
    const filters = { service: params.get('service') || '', owner: params.get('owner') || '', op: params.get('op') || '' };
    const options = { service: rows.map((r) => r.service), owner: rows.map((r) => r.owner || 'none'), op: rows.map((r) => r.op) };
    rows = rows.filter((r) => (!filters.service || r.service === filters.service) &&
      (!filters.owner || (r.owner || 'none') === filters.owner) &&
      (!filters.op || r.op === filters.op));
    const sort = params.get('sort') || 'count';
    const dir = params.get('dir') === 'asc' ? 1 : -1;
    rows.sort((a, b) => {
      if (a.suspect !== b.suspect) return a.suspect ? -1 : 1;
      const x = a[sort], y = b[sort];
      if (x === y) return a.location_id - b.location_id;
      if (x === null || x === undefined) return 1;
      if (y === null || y === undefined) return -1;
      return (x < y ? -1 : 1) * dir;
    });

    const update = (key, value) => {
      const next = new URLSearchParams(params);
      if (value) next.set(key, value); else next.delete(key);
      setHash('/', next);
    };
    clear(view);
    view.appendChild(el('h1', {}, all ? 'Every blocked site' : 'Leak suspects'));
    view.appendChild(el('div', { class: 'filters' },
      selectFilter('service', 'Service', options.service, filters.service, (v) => update('service', v)),
      selectFilter('owner', 'Owner', options.owner, filters.owner, (v) => update('owner', v)),
      selectFilter('op', 'Op', options.op, filters.op, (v) => update('op', v)),
      el('label', {}, 'Show',
        el('span', {}, el('input', { type: 'checkbox', name: 'all', checked: all, onchange: (e) => update('all', e.target.checked ? '1' : '') }), ' every blocked site'))));

    const head = el('tr', {}, COLUMNS.map((c) => el('th', {
      class: ['sortable', c.num ? 'num' : '', c.key === sort ? (dir > 0 ? 'sorted-asc' : 'sorted-desc') : ''].join(' ').trim(),
      'data-key': c.key,
      onclick: () => {
        const next = new URLSearchParams(params);
        next.set('sort', c.key);
        next.set('dir', c.key === sort && dir < 0 ? 'asc' : 'desc');
        setHash('/', next);
      },
    }, c.label)));
    const body = el('tbody');
    for (const r of rows) {
      body.appendChild(el('tr', { class: r.suspect ? 'suspect' : '', 'data-location': r.location_id },
        el('td', {}, r.service),
        siteCell(r),
        el('td', {}, r.op),
        el('td', { class: 'num' }, String(r.count)),
        el('td', { class: 'num' }, fmtGrowth(r.growth_per_hour)),
        el('td', {}, r.owner || el('span', { class: 'muted' }, 'none')),
        el('td', { class: 'num', title: fmtTime(r.first_seen) }, fmtAgo(r.first_seen)),
        el('td', {}, r.suspect ? el('span', { class: 'badge suspect' }, 'suspect') : null, ' ', stateBadge(r.state))));
    }
    const table = el('table', { id: 'inventory' }, el('thead', {}, head), body);
    view.appendChild(rows.length ? table : el('p', { class: 'muted', id: 'inventory-empty' },
      all ? 'No blocked goroutines reported yet.' : 'No suspects: no in-repo channel operation is large and growing.'));
    const rendered = performance.now();
    view.appendChild(el('p', { class: 'muted render-time', id: 'render-time', 'data-ms': (rendered - fetched).toFixed(1) },
      rows.length + ' rows; fetched in ' + (fetched - started).toFixed(0) + ' ms, drawn in ' + (rendered - fetched).toFixed(0) + ' ms'));
  }

  /* ---- location --------------------------------------------------------------------- */

  async function viewLocation(id) {
    const loc = await api('/api/v1/locations/' + encodeURIComponent(id));
    const [leaks, queue] = await Promise.all([
      api('/api/v1/leaks?all=1').catch(() => ({ leaks: [] })),
      api('/api/v1/notifications').catch(() => ({ notifications: [] })),
    ]);
    const rows = (leaks.leaks || []).filter((r) => String(r.location_id) === String(id));
    clear(view);
    view.appendChild(el('h1', {}, el('span', { class: 'function' }, loc.function)));
    const facts = el('dl', { class: 'facts' },
      el('dt', {}, 'Op'), el('dd', {}, loc.op),
      el('dt', {}, 'File'), el('dd', {}, loc.file + ':' + loc.line, ' ', sourceLink(loc.repo_path, loc.line)),
      el('dt', {}, 'In repo'), el('dd', {}, loc.in_repo ? 'yes' + (loc.repo_path ? ' (' + loc.repo_path + ')' : '') : 'no'),
      el('dt', {}, 'Owner'), el('dd', {}, loc.owner || 'none'),
      el('dt', {}, 'First seen'), el('dd', {}, fmtTime(loc.first_seen)));
    view.appendChild(facts);

    view.appendChild(el('h2', {}, 'Growth'));
    if (rows.length) {
      view.appendChild(el('table', { id: 'growth' },
        el('thead', {}, el('tr', {}, el('th', {}, 'Service'), el('th', { class: 'num' }, 'Count'), el('th', { class: 'num' }, 'Growth/hour'), el('th', {}, 'Projection'), el('th', {}, 'Suspect'))),
        el('tbody', {}, rows.map((r) => el('tr', {},
          el('td', {}, r.service), el('td', { class: 'num' }, String(r.count)), el('td', { class: 'num' }, fmtGrowth(r.growth_per_hour)),
          el('td', {}, projection(r.count, r.growth_per_hour) || '—'), el('td', {}, r.suspect ? el('span', { class: 'badge suspect' }, 'suspect') : 'no'))))));
    } else {
      view.appendChild(el('p', { class: 'muted' }, 'No live instance reports this site now.'));
    }

    view.appendChild(el('h2', {}, 'Count over time'));
    const perInstance = new URLSearchParams(location.hash.split('?')[1] || '').get('instances') === '1';
    view.appendChild(el('div', { class: 'filters' }, el('label', {}, 'Lines',
      el('span', {}, el('input', {
        type: 'checkbox', name: 'instances', checked: perInstance,
        onchange: (e) => setHash('/location/' + id, new URLSearchParams(e.target.checked ? { instances: '1' } : {})),
      }), ' one per instance'))));
    const chartBox = el('div', { class: 'chart', id: 'location-chart' });
    view.appendChild(chartBox);
    const services = (loc.services || []).map((s) => s.name);
    const from = Math.max(0, (loc.first_seen || 0) - 60);
    const seriesUrl = (service, instance) => '/api/v1/locations/' + encodeURIComponent(id) + '/series?service=' +
      encodeURIComponent(service) + (instance ? '&instance=' + encodeURIComponent(instance) : '') + (from ? '&from=' + from : '');
    let lines = services.map((name) => ({ name, service: name, instance: null }));
    if (perInstance) {
      const known = await api('/api/v1/services').catch(() => ({ services: [] }));
      lines = [];
      for (const svc of known.services || []) {
        if (!services.includes(svc.name)) continue;
        for (const inst of svc.instances || []) lines.push({ name: svc.name + '/' + inst.name, service: svc.name, instance: inst.name });
      }
    }
    const named = await Promise.all(lines.map(async (line) => {
      const s = await api(seriesUrl(line.service, line.instance));
      return { name: line.name, points: s.series || [] };
    }));
    const merged = mergeSeries(named);
    if (merged.xs.length) {
      timeChart(chartBox, merged.xs, merged.series, Math.min(900, view.clientWidth || 900), 280, false);
    } else {
      chartBox.appendChild(el('p', { class: 'muted' }, 'No samples yet.'));
    }

    view.appendChild(el('h2', {}, 'Services'));
    view.appendChild(el('table', { id: 'services-seen' },
      el('thead', {}, el('tr', {}, el('th', {}, 'Service'), el('th', { class: 'num' }, 'Count'), el('th', { class: 'num' }, 'Instances'), el('th', {}, 'First seen'), el('th', {}, 'Last seen'))),
      el('tbody', {}, (loc.services || []).map((s) => el('tr', {},
        el('td', {}, s.name), el('td', { class: 'num' }, String(s.count)), el('td', { class: 'num' }, String(s.instances)),
        el('td', {}, fmtTime(s.first_seen)), el('td', {}, fmtTime(s.last_seen)))))));

    view.appendChild(el('h2', {}, 'Representative stack'));
    view.appendChild(el('div', { class: 'stack', id: 'stack' }, (loc.stack || []).map((f) => el('div', { class: 'frame' },
      el('div', {}, f.function), el('div', { class: 'file' }, f.file + ':' + f.line)))));

    if (loc.sites && loc.sites.length) {
      view.appendChild(el('h2', {}, 'Other sites in this function'));
      view.appendChild(el('ul', {}, loc.sites.map((s) => el('li', {}, el('a', { href: '#/location/' + s.location_id }, s.op + ' at line ' + s.line)))));
    }

    const mine = (queue.notifications || []).filter((n) => String(n.location_id) === String(id));
    view.appendChild(el('h2', {}, 'Notifications'));
    if (!mine.length) {
      view.appendChild(el('p', { class: 'muted' }, 'None.'));
    }
    for (const n of mine) {
      const detail = await api('/api/v1/notifications/' + n.id).catch(() => null);
      view.appendChild(el('div', { class: 'notification' },
        el('p', {}, n.service + ' → ' + n.owner + ' ', stateBadge(n.state)),
        el('ul', {}, ((detail && detail.events) || []).map((e) => el('li', {}, fmtTime(e.ts) + ' ' + e.event + (e.detail ? ' — ' + e.detail : ''))))));
    }
  }

  /* ---- trends ----------------------------------------------------------------------- */

  async function viewTrends(params) {
    const window_ = params.get('window') || '';
    const data = await api('/api/v1/trends' + (window_ ? '?window=' + encodeURIComponent(window_) : ''));
    clear(view);
    view.appendChild(el('h1', {}, 'Fastest-growing sites'));
    const choices = ['', '1h', '6h', '24h', '7d'];
    const label = (c) => c || 'detection window (' + Math.round(data.window / 3600) + ' h)';
    view.appendChild(el('div', { class: 'filters' }, el('label', {}, 'Window',
      el('select', { name: 'window', onchange: (e) => setHash('/trends', new URLSearchParams(e.target.value ? { window: e.target.value } : {})) },
        choices.map((c) => el('option', { value: c, selected: c === window_ }, label(c)))))));
    const rows = (data.trends || []).filter((r) => r.growth_per_hour !== null).slice(0, 50);
    if (!rows.length) {
      view.appendChild(el('p', { class: 'muted' }, 'Not enough samples in this window yet.'));
      return;
    }
    const body = el('tbody');
    const table = el('table', { id: 'trends' },
      el('thead', {}, el('tr', {}, el('th', {}, 'Service'), el('th', {}, 'Site'), el('th', {}, 'Op'), el('th', { class: 'num' }, 'Count'),
        el('th', { class: 'num' }, 'Growth/hour'), el('th', {}, 'Since'), el('th', {}, 'Owner'), el('th', {}, 'History'))), body);
    view.appendChild(table);
    const now = Math.floor(Date.now() / 1000);
    for (const r of rows) {
      const spark = el('div', { class: 'spark' });
      body.appendChild(el('tr', { class: r.suspect ? 'suspect' : '' },
        el('td', {}, r.service), siteCell(r), el('td', {}, r.op), el('td', { class: 'num' }, String(r.count)),
        el('td', { class: 'num' }, fmtGrowth(r.growth_per_hour)), el('td', {}, r.since ? fmtTime(r.since) + (r.since_version ? ' (' + r.since_version + ')' : '') : '—'),
        el('td', {}, r.owner || 'none'), el('td', {}, spark)));
      api('/api/v1/locations/' + r.location_id + '/series?service=' + encodeURIComponent(r.service) + '&from=' + (now - data.window) + '&to=' + now)
        .then((s) => {
          const merged = mergeSeries([{ name: r.service, points: s.series || [] }]);
          if (merged.xs.length) timeChart(spark, merged.xs, merged.series, 220, 48, true);
        })
        .catch(() => spark.appendChild(el('span', { class: 'muted' }, '—')));
    }
  }

  /* ---- services --------------------------------------------------------------------- */

  async function viewServices() {
    const data = await api('/api/v1/services');
    clear(view);
    view.appendChild(el('h1', {}, 'Services'));
    const now = Date.now() / 1000;
    const body = el('tbody');
    for (const s of data.services || []) {
      for (const [i, inst] of (s.instances || []).entries()) {
        const stale = now - inst.last_push > settings.live_window;
        body.appendChild(el('tr', { class: stale ? 'stale' : '' },
          el('td', {}, i === 0 ? s.name : ''), el('td', {}, i === 0 ? (s.owner || 'none') : ''),
          el('td', {}, inst.name), el('td', { class: 'num' }, String(inst.profiles)),
          el('td', { title: fmtTime(inst.last_push) }, fmtAgo(inst.last_push), stale ? el('span', { class: 'badge stale' }, 'stale') : null)));
      }
    }
    view.appendChild(el('table', { id: 'services' },
      el('thead', {}, el('tr', {}, el('th', {}, 'Service'), el('th', {}, 'Owner'), el('th', {}, 'Instance'), el('th', { class: 'num' }, 'Profiles'), el('th', {}, 'Last push'))), body));
  }

  /* ---- notifications ---------------------------------------------------------------- */

  async function act(id, action, query) {
    const token = adminToken();
    if (!token) throw new Error('enter an admin token first');
    await api('/api/v1/notifications/' + id + '/' + action + (query ? '?' + query : ''), {
      method: 'POST',
      headers: { Authorization: 'Bearer ' + token },
    });
  }

  async function viewNotifications(params) {
    const state = params.get('state') || '';
    const data = await api('/api/v1/notifications' + (state ? '?state=' + encodeURIComponent(state) : ''));
    clear(view);
    view.appendChild(el('h1', {}, 'Notification queue'));
    const states = ['', 'pending', 'delivered', 'acknowledged', 'snoozed', 'resolved'];
    view.appendChild(el('div', { class: 'filters' }, el('label', {}, 'State',
      el('select', { name: 'state', onchange: (e) => setHash('/notifications', new URLSearchParams(e.target.value ? { state: e.target.value } : {})) },
        states.map((s) => el('option', { value: s, selected: s === state }, s || 'any'))))));
    const status = el('p', { class: 'error', id: 'action-error', role: 'alert' });
    view.appendChild(status);
    const body = el('tbody');
    const hasToken = !!adminToken();
    for (const n of data.notifications || []) {
      const run = (action, query) => async () => {
        try {
          await act(n.id, action, query);
          route();
        } catch (e) {
          status.textContent = 'Error: ' + e.message;
        }
      };
      const snoozeFor = el('select', { 'aria-label': 'snooze for' },
        el('option', { value: '3600' }, '1 h'), el('option', { value: '86400' }, '1 day'), el('option', { value: '604800' }, '1 week'));
      const open = n.state !== 'resolved';
      body.appendChild(el('tr', { 'data-id': n.id },
        el('td', { class: 'num' }, String(n.id)), el('td', {}, n.service),
        el('td', { class: 'site' }, el('a', { class: 'function', href: '#/location/' + n.location_id }, n.function), el('div', { class: 'file' }, n.file + ':' + n.line)),
        el('td', {}, n.owner), el('td', {}, stateBadge(n.state), n.regression ? el('span', { class: 'badge' }, 'regression') : null),
        el('td', { title: fmtTime(n.created) }, fmtAgo(n.created)), el('td', { title: fmtTime(n.updated) }, fmtAgo(n.updated)),
        el('td', { class: 'num' }, String(n.attempts), n.last_error ? el('div', { class: 'muted' }, n.last_error) : null),
        el('td', { class: 'actions' },
          el('button', { type: 'button', name: 'ack', disabled: !hasToken || !open || n.state === 'acknowledged', onclick: run('ack') }, 'Ack'),
          snoozeFor,
          el('button', { type: 'button', name: 'snooze', disabled: !hasToken || !open, onclick: () => run('snooze', 'until=' + (Math.floor(Date.now() / 1000) + Number(snoozeFor.value)))() }, 'Snooze'),
          el('button', { type: 'button', name: 'resolve', disabled: !hasToken || !open, onclick: run('resolve') }, 'Resolve'))));
    }
    view.appendChild(el('table', { id: 'notifications' },
      el('thead', {}, el('tr', {}, ['#', 'Service', 'Site', 'Owner', 'State', 'Created', 'Updated', 'Attempts', 'Actions'].map((h) => el('th', {}, h)))), body));
    if (!hasToken) view.appendChild(el('p', { class: 'muted' }, 'Enter the admin token above to act on notifications.'));
  }

  /* ---- router ----------------------------------------------------------------------- */

  async function route() {
    destroyCharts();
    const { path, params } = parseHash();
    const section = path.startsWith('/location/') ? 'inventory' : (path.slice(1) || 'inventory');
    for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.view === section);
    try {
      if (path === '/' || path === '') await viewInventory(params);
      else if (path.startsWith('/location/')) await viewLocation(decodeURIComponent(path.slice('/location/'.length)));
      else if (path === '/trends') await viewTrends(params);
      else if (path === '/services') await viewServices();
      else if (path === '/notifications') await viewNotifications(params);
      else throw new Error('no such page: ' + path);
      document.body.dataset.ready = path;
    } catch (error) {
      showError(error);
      document.body.dataset.ready = 'error';
    }
  }

  function showTokenState() {
    document.getElementById('token-state').textContent = adminToken() ? 'kept for this session' : '';
  }

  document.getElementById('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = document.getElementById('admin-token');
    if (input.value) sessionStorage.setItem(TOKEN_KEY, input.value);
    else sessionStorage.removeItem(TOKEN_KEY);
    input.value = '';
    showTokenState();
    route();
  });

  window.addEventListener('hashchange', route);
  showTokenState();
  api('/api/v1/settings')
    .then((s) => { settings = Object.assign(settings, s); })
    .catch(() => {})
    .finally(route);
})();
