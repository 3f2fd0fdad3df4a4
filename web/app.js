/* app.js - the leakfleet dashboard: a hash router and five views (inventory, location,
 * trends, services, notifications) over the server's JSON API. Every value from the wire
 * reaches the page as text (textContent, never innerHTML): function names, labels and
 * service names are chosen by whoever pushes profiles. Charts are uPlot (web/bundle.sh).
 *
 * Each view renders into a detached element that replaces the page only if no newer
 * navigation started meanwhile, so a slow answer never lands under another tab. Pages
 * refresh themselves every 30 s unless paused or a form control has focus; a refresh and
 * an action keep keyboard focus on the element it was on (rows are found by their id).
 * Times are UTC everywhere (ISO 8601, "2026-07-12 00:25:00Z"; chart axes in UTC), with the
 * viewer's local time in tooltips and next to a snooze's end. */
'use strict';

(function () {
  const view = document.getElementById('view');
  const statusLine = document.getElementById('status');
  const TOKEN_KEY = 'leakfleet.adminToken';
  const TOKEN_NAME_KEY = 'leakfleet.adminName';
  const REFRESH_KEY = 'leakfleet.refresh';
  /* Seconds between refreshes; a number in localStorage 'leakfleet.refreshSeconds' (at
   * least 1) changes it. */
  const REFRESH_SECONDS = Math.max(1, Number(localStorage.getItem('leakfleet.refreshSeconds')) || 30);
  const RANGES = [['1h', 3600], ['6h', 21600], ['24h', 86400], ['7d', 604800], ['30d', 2592000]];
  const NICE_STEPS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
  const AXIS_INCRS = NICE_STEPS.concat([172800, 604800, 1209600]);
  let settings = {
    source_url: null, live_window: 300, threshold: 100, projection_target: 10000,
    detect_window: 21600, reopen_after: 3600, resolve_after: 3600,
  };
  let charts = [];
  let generation = 0;
  let lastLoad = 0;
  let loading = false;
  const selected = new Set(); /* notification ids ticked in the queue */

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

  /* Text that may break after '.', '/' and '(' (long Go function names and paths); text of
   * at most min characters (24 by default) stays one node, so a 1,000-row table draws
   * faster. */
  function breakable(text, min) {
    if (String(text).length <= (min === undefined ? 24 : min)) return document.createTextNode(String(text));
    const frag = document.createDocumentFragment();
    for (const part of String(text).split(/(?<=[./(])/)) {
      frag.appendChild(document.createTextNode(part));
      frag.appendChild(document.createElement('wbr'));
    }
    return frag;
  }

  function destroyCharts() {
    for (const chart of charts) chart.destroy();
    charts = [];
  }

  const pad = (n) => String(n).padStart(2, '0');

  /* UTC, ISO 8601 with a space: the one convention of the page. */
  function fmtTime(unix) {
    if (!unix) return '—';
    return new Date(unix * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  }

  /* The viewer's local time, for tooltips and snoozes. */
  function fmtLocal(unix) {
    const d = new Date(unix * 1000);
    return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' +
      pad(d.getHours()) + ':' + pad(d.getMinutes()) + ' your time';
  }

  /* A time cell: UTC text, local time in the tooltip. */
  function timeText(unix, text) {
    return el('time', { datetime: unix ? new Date(unix * 1000).toISOString() : null, title: unix ? fmtTime(unix) + ' · ' + fmtLocal(unix) : null },
      text === undefined ? fmtTime(unix) : text);
  }

  function fmtAgo(unix) {
    if (!unix) return '—';
    const s = Math.max(0, Math.round(Date.now() / 1000 - unix));
    if (s < 120) return s + ' s ago';
    if (s < 7200) return Math.round(s / 60) + ' min ago';
    if (s < 172800) return Math.round(s / 3600) + ' h ago';
    return Math.round(s / 86400) + ' d ago';
  }

  function agoCell(unix, attrs) {
    return el('td', attrs || {}, timeText(unix, fmtAgo(unix)));
  }

  function fmtDuration(seconds) {
    if (seconds % 86400 === 0) return seconds / 86400 + ' d';
    if (seconds % 3600 === 0) return seconds / 3600 + ' h';
    if (seconds % 60 === 0) return seconds / 60 + ' min';
    return seconds + ' s';
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
    let response;
    try {
      response = await fetch(path, options);
    } catch (e) {
      const error = new Error('the server did not answer ' + path.split('?')[0] + ' (' + e.message + ')');
      error.status = 0;
      throw error;
    }
    let body = null;
    try {
      body = await response.json();
    } catch (e) {
      body = null;
    }
    if (!response.ok) {
      const message = body && body.error ? body.error : response.status + ' ' + response.statusText;
      const error = new Error(path.split('?')[0] + ': ' + message);
      error.status = response.status;
      error.reason = message;
      throw error;
    }
    return body;
  }

  function adminToken() {
    return sessionStorage.getItem(TOKEN_KEY) || '';
  }

  /* A site's file:line, repo-relative when the site is in the repo (the build path in the
   * tooltip), else as the stack has it. */
  function fileLine(row) {
    const relative = row.repo_path && row.repo_path !== row.file;
    return el('div', { class: 'file', title: relative ? row.file + ':' + row.line : null },
      breakable((row.repo_path || row.file) + ':' + row.line));
  }

  function siteCell(row) {
    const cell = el('td', { class: 'site' },
      el('a', { class: 'function', href: '#/location/' + row.location_id }, breakable(row.function)),
      fileLine(row));
    if (row.culprit) cell.appendChild(culpritLine(row.culprit));
    return cell;
  }

  function culpritLine(c) {
    return el('div', { class: 'culprit' }, 'from ', el('span', { class: 'function' }, breakable(c.function)),
      ' ', el('span', { class: 'file', title: c.repo_path ? c.file + ':' + c.line : null }, breakable((c.repo_path || c.file) + ':' + c.line)),
      ' — ', c.owner || 'no owner');
  }

  const STATE_TEXT = { unrouted: 'no route' };

  function stateBadge(state) {
    return state ? el('span', { class: 'badge ' + state, title: state === 'unrouted' ? 'logged only: no notify.webhook or notify.routes entry for the owner, nobody was told' : null },
      STATE_TEXT[state] || state) : el('span', { class: 'muted' }, '—');
  }

  /* The inventory's and trends' last column: the suspect badge, else why not. */
  function verdictCell(row) {
    if (row.suspect) return el('td', { class: 'verdict' }, el('span', { class: 'badge suspect' }, 'suspect'));
    return el('td', { class: 'verdict reason', title: row.reason || null }, row.reason || '—');
  }

  function selectFilter(name, label, values, current, onChange) {
    const select = el('select', { name, onchange: (e) => onChange(e.target.value) },
      el('option', { value: '' }, 'any'));
    for (const v of [...new Set(values)].sort()) {
      select.appendChild(el('option', { value: v, selected: v === current }, v));
    }
    return el('label', {}, label, select);
  }

  function sourceLink(path, line) {
    if (!settings.source_url || !path) return null;
    /* as the server's messages do (attribute_source_url): every {path} and {line} */
    const url = settings.source_url.replaceAll('{path}', encodeURI(path)).replaceAll('{line}', String(line));
    if (!/^https?:\/\//.test(url)) return null;
    return el('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, 'source');
  }

  /* A sortable header: a button (keyboard reachable) in a th carrying aria-sort. */
  function sortHeader(column, sort, dir, onSort) {
    const active = column.key === sort;
    return el('th', {
      class: [column.num ? 'num' : '', column.opt ? 'opt' : ''].join(' ').trim() || null,
      'aria-sort': active ? (dir > 0 ? 'ascending' : 'descending') : 'none',
      'data-key': column.key,
    }, el('button', { type: 'button', class: 'sort', onclick: () => onSort(column.key) }, breakable(column.label, 0),
      el('span', { class: 'arrow', 'aria-hidden': 'true' }, active ? (dir > 0 ? ' ▲' : ' ▼') : '')));
  }

  /* ---- charts ----------------------------------------------------------------------- */

  /* The bucket width for a range: about 240 buckets, never finer than the agents push. */
  function chooseStep(range, pushInterval) {
    const want = Math.max(range / 240, pushInterval || 60, 60);
    return NICE_STEPS.find((s) => s >= want) || 86400;
  }

  /* UTC axis labels: the time of day, with the date where a day starts or the span is long. */
  function axisValues(u, splits, axisIdx, space, incr) {
    return splits.map((v) => {
      const d = new Date(v * 1000);
      const day = pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate());
      const time = pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes());
      if (incr >= 86400) return day;
      return d.getUTCHours() === 0 && d.getUTCMinutes() === 0 ? day + ' ' + time : time;
    });
  }

  /* Dashed vertical lines with a label at each marker {ts, label, kind}. */
  function markersPlugin(markers) {
    return {
      hooks: {
        draw: [(u) => {
          const ctx = u.ctx;
          const ratio = window.devicePixelRatio || 1;
          for (const m of markers) {
            const x = Math.round(u.valToPos(m.ts, 'x', true));
            if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
            ctx.save();
            ctx.strokeStyle = m.kind === 'deploy' ? '#6f42c1' : '#5c6475';
            ctx.fillStyle = ctx.strokeStyle;
            ctx.lineWidth = ratio;
            ctx.setLineDash([4 * ratio, 3 * ratio]);
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
            ctx.font = (11 * ratio) + 'px system-ui, sans-serif';
            ctx.fillText(m.label, x + 3 * ratio, u.bbox.top + 12 * ratio);
            ctx.restore();
          }
        }],
      },
    };
  }

  /* A time chart: xs in unix seconds, series [{name, values, stroke, width, dash}]. */
  function timeChart(container, xs, series, width, height, options) {
    const small = options && options.small;
    const data = [xs, ...series.map((s) => s.values)];
    const palette = ['#2f6fb0', '#b3261e', '#1a7f37', '#9a6700', '#6f42c1', '#0a7f8c'];
    const opts = {
      width, height,
      legend: { show: !small },
      cursor: { show: !small },
      scales: { x: { time: true } },
      /* ticks a whole minute apart at least: the points are; finer ticks would repeat
       * the same hh:mm label (a chart of the first minutes of data) */
      axes: small ? [{ show: false }, { show: false }]
        : [{ values: axisValues, label: 'UTC', incrs: AXIS_INCRS }, { label: 'goroutines' }],
      plugins: options && options.markers && options.markers.length ? [markersPlugin(options.markers)] : [],
      series: [{ label: 'time', value: (u, v) => (v === null || v === undefined ? '—' : fmtTime(v)) },
        ...series.map((s, i) => ({
          label: s.name,
          stroke: s.stroke || palette[i % palette.length],
          width: s.width || (small ? 1.5 : 2),
          dash: s.dash,
          spanGaps: true,
          /* a series with one value has no line to draw: its point is shown instead */
          points: small ? { show: false }
            : s.values.filter((v) => v !== null && v !== undefined).length < 2 ? { show: true, size: 7 } : {},
        }))],
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
      return Object.assign({}, n, { values });
    });
    return { xs, series };
  }

  /* A table alternative to a chart, collapsed. */
  function chartTable(id, xs, series) {
    return el('details', { class: 'chart-table', id },
      el('summary', {}, 'Show the data as a table'),
      el('table', {},
        el('thead', {}, el('tr', {}, el('th', {}, 'Time (UTC)'), series.map((s) => el('th', { class: 'num' }, s.name)))),
        el('tbody', {}, xs.map((x, i) => el('tr', {}, el('td', {}, fmtTime(x)),
          series.map((s) => el('td', { class: 'num' }, s.values[i] === null ? '' : String(Math.round(s.values[i])))))))));
  }

  /* ---- queue actions ---------------------------------------------------------------- */

  async function act(id, action, query) {
    const token = adminToken();
    if (!token) throw new Error('enter an admin token first');
    return api('/api/v1/notifications/' + id + '/' + action + (query ? '?' + query : ''), {
      method: 'POST',
      headers: { Authorization: 'Bearer ' + token },
    });
  }

  /* Why a notification is in its state, in words. */
  function stateDetail(n) {
    if (n.state === 'snoozed' && n.snoozed_until) {
      return el('div', { class: 'detail snooze-until' }, 'until ', fmtLocal(n.snoozed_until), ' (', fmtTime(n.snoozed_until), ')');
    }
    if (n.state === 'resolved') {
      if (!n.resolved_manual) return el('div', { class: 'detail' }, 'quiet for ' + fmtDuration(settings.resolve_after) + ' or more; re-opens if it grows again');
      return el('div', { class: 'detail resolve-rule' }, n.resolved_version
        ? 'fixed in ' + n.resolved_version + '? re-opens on growth in a later version'
        : 're-opens if still growing ' + fmtDuration(settings.reopen_after) + ' after the resolve');
    }
    if (n.state === 'unrouted') return el('div', { class: 'detail' }, 'logged only: set notify.webhook or a route');
    return null;
  }

  /* Ack, snooze for, resolve; run(action, query) does the work and re-renders. */
  function actionCell(n, run, hasToken) {
    const open = n.state !== 'resolved';
    const snoozeFor = el('select', { name: 'snooze-for', 'aria-label': 'snooze #' + n.id + ' for', disabled: !hasToken || !open },
      el('option', { value: '3600' }, '1 h'), el('option', { value: '86400' }, '1 day'), el('option', { value: '604800' }, '1 week'));
    return el('td', { class: 'actions' },
      el('button', { type: 'button', name: 'ack', 'aria-label': 'acknowledge #' + n.id, disabled: !hasToken || !open || n.state === 'acknowledged', onclick: () => run(n.id, 'ack') }, 'Ack'),
      el('span', { class: 'snooze' }, snoozeFor,
        el('button', { type: 'button', name: 'snooze', 'aria-label': 'snooze #' + n.id, disabled: !hasToken || !open, onclick: () => run(n.id, 'snooze', 'until=' + (Math.floor(Date.now() / 1000) + Number(snoozeFor.value))) }, 'Snooze')),
      el('button', { type: 'button', name: 'resolve', 'aria-label': 'resolve #' + n.id + ' as fixed', disabled: !hasToken || !open, onclick: () => run(n.id, 'resolve') }, 'Resolve'));
  }

  /* Runs an action and re-renders, keeping focus on the row acted on. */
  function runner(status) {
    return async (id, action, query) => {
      try {
        await act(id, action, query);
        status.textContent = '';
        await route({ focus: { id: String(id), name: action } });
      } catch (e) {
        status.textContent = 'Error: ' + (e.reason || e.message);
      }
    };
  }

  /* ---- inventory -------------------------------------------------------------------- */

  const COLUMNS = [
    { key: 'service', label: 'Service' },
    { key: 'function', label: 'Site' },
    { key: 'op', label: 'Op', opt: true },
    { key: 'count', label: 'Count', num: true },
    { key: 'growth_per_hour', label: 'Growth/hour', num: true },
    { key: 'owner', label: 'Owner' },
    { key: 'first_seen', label: 'First seen', num: true, opt: true },
    { key: 'state', label: 'Notification', opt: true },
    { key: 'suspect', label: 'Verdict' },
  ];

  async function viewInventory(params, out) {
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
    const fetchedRows = (leaks.leaks || []).map((r) => Object.assign({}, r, { state: states.get(r.service + '\u0000' + r.location_id) || null }));
    let rows = fetchedRows;
    const filters = { service: params.get('service') || '', owner: params.get('owner') || '', op: params.get('op') || '' };
    const options = { service: rows.map((r) => r.service), owner: rows.map((r) => r.owner || 'none'), op: rows.map((r) => r.op) };
    rows = rows.filter((r) => (!filters.service || r.service === filters.service) &&
      (!filters.owner || (r.owner || 'none') === filters.owner) &&
      (!filters.op || r.op === filters.op));
    /* The default order pins suspects first, then the largest; a chosen sort is obeyed. */
    const chosen = params.get('sort');
    const sort = chosen || 'count';
    const dir = params.get('dir') === 'asc' ? 1 : -1;
    rows.sort((a, b) => {
      if (!chosen && a.suspect !== b.suspect) return a.suspect ? -1 : 1;
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
    out.appendChild(el('h1', {}, all ? 'Every blocked site' : 'Leak suspects'));
    out.appendChild(el('div', { class: 'filters' },
      selectFilter('service', 'Service', options.service, filters.service, (v) => update('service', v)),
      selectFilter('owner', 'Owner', options.owner, filters.owner, (v) => update('owner', v)),
      selectFilter('op', 'Op', options.op, filters.op, (v) => update('op', v)),
      el('label', {}, 'Show',
        el('span', {}, el('input', { type: 'checkbox', name: 'all', checked: all, onchange: (e) => update('all', e.target.checked ? '1' : '') }), ' every blocked site'))));

    const onSort = (key) => {
      const next = new URLSearchParams(params);
      next.set('sort', key);
      next.set('dir', key === chosen && dir < 0 ? 'asc' : 'desc');
      setHash('/', next);
    };
    const head = el('tr', {}, COLUMNS.map((c) => sortHeader(c, chosen ? sort : null, dir, onSort)));
    const body = el('tbody');
    for (const r of rows) {
      body.appendChild(el('tr', { class: r.suspect ? 'suspect' : '', 'data-location': r.location_id, 'data-key': r.service + '/' + r.location_id },
        el('td', {}, r.service),
        siteCell(r),
        el('td', { class: 'opt' }, r.op),
        el('td', { class: 'num' }, String(r.count)),
        el('td', { class: 'num' }, fmtGrowth(r.growth_per_hour)),
        el('td', {}, r.owner ? breakable(r.owner, 0) : el('span', { class: 'muted' }, 'none')),
        agoCell(r.first_seen, { class: 'num opt' }),
        el('td', { class: 'opt' }, stateBadge(r.state)),
        verdictCell(r)));
    }
    if (rows.length) {
      out.appendChild(el('table', { id: 'inventory' }, el('thead', {}, head), body));
    } else if (fetchedRows.length) {
      out.appendChild(el('p', { class: 'empty', id: 'inventory-empty' }, 'No site matches these filters. ',
        el('a', { href: '#/' + (all ? '?all=1' : '') }, 'Clear the filters'), '.'));
    } else if (!all) {
      out.appendChild(el('p', { class: 'empty', id: 'inventory-empty' },
        'No suspects: no monitored operation in the repo is large and growing. ',
        el('a', { href: '#/?all=1' }, 'Show every blocked site'), ' or see which ',
        el('a', { href: '#/services' }, 'services'), ' push profiles.'));
    } else {
      out.appendChild(el('p', { class: 'empty', id: 'inventory-empty' },
        'No blocked goroutines reported yet. Start an agent next to a Go service: ',
        el('code', {}, 'leakfleet-agent --server URL --token TOKEN --service NAME --target http://127.0.0.1:6060'), '.'));
    }
    const rendered = performance.now();
    out.appendChild(el('p', { class: 'muted render-time', id: 'render-time', 'data-ms': (rendered - fetched).toFixed(1) },
      rows.length + ' rows; fetched in ' + (fetched - started).toFixed(0) + ' ms, drawn in ' + (rendered - fetched).toFixed(0) + ' ms'));
  }

  /* ---- location --------------------------------------------------------------------- */

  function rangeOf(params) {
    const chosen = RANGES.find(([name]) => name === params.get('range'));
    return chosen || RANGES[2];
  }

  /* Deploys and restarts grouped: one marker per version (or restart) per step. */
  function groupMarkers(events, step) {
    const groups = [];
    for (const e of events) {
      const last = groups[groups.length - 1];
      const key = e.kind + '\u0000' + (e.version || '');
      if (last && last.key === key && e.ts - last.ts <= 2 * step) {
        last.instances.push(e.service + '/' + e.instance);
        continue;
      }
      groups.push({ key, ts: e.ts, kind: e.kind, version: e.version, previous: e.previous, instances: [e.service + '/' + e.instance] });
    }
    for (const g of groups) {
      g.label = g.kind === 'deploy' ? (g.version || 'no version') : 'restart';
    }
    return groups;
  }

  async function viewLocation(id, params, out, ctx) {
    const loc = await api('/api/v1/locations/' + encodeURIComponent(id));
    const [leaks, queue] = await Promise.all([
      api('/api/v1/leaks?all=1').catch(() => ({ leaks: [] })),
      api('/api/v1/notifications').catch(() => ({ notifications: [] })),
    ]);
    const rows = (leaks.leaks || []).filter((r) => String(r.location_id) === String(id));
    out.appendChild(el('h1', {}, el('span', { class: 'function' }, breakable(loc.function))));
    const facts = el('dl', { class: 'facts' },
      el('dt', {}, 'Op'), el('dd', {}, loc.op),
      el('dt', {}, 'File'), el('dd', { id: 'location-file', title: loc.in_repo && loc.repo_path ? loc.file + ':' + loc.line : null },
        breakable((loc.in_repo && loc.repo_path ? loc.repo_path : loc.file) + ':' + loc.line), ' ', sourceLink(loc.repo_path, loc.line)),
      el('dt', {}, 'In repo'), el('dd', {}, loc.in_repo ? 'yes' + (loc.repo_path ? ' (' + loc.repo_path + ')' : '') : 'no'),
      el('dt', {}, 'Owner'), el('dd', {}, loc.owner || 'none'),
      el('dt', {}, 'First seen'), el('dd', {}, timeText(loc.first_seen)));
    const culprit = rows.map((r) => r.culprit).find((c) => c);
    if (culprit) {
      facts.appendChild(el('dt', {}, 'Culprit'));
      facts.appendChild(el('dd', { id: 'culprit' }, el('span', { class: 'function' }, breakable(culprit.function)), ' at ',
        breakable((culprit.repo_path || culprit.file) + ':' + culprit.line), ' ', sourceLink(culprit.repo_path, culprit.line),
        ' — owner ', culprit.owner || 'none'));
    }
    out.appendChild(facts);

    out.appendChild(el('h2', {}, 'Verdict'));
    if (rows.length) {
      out.appendChild(el('table', { id: 'growth' },
        el('thead', {}, el('tr', {}, el('th', {}, 'Service'), el('th', { class: 'num' }, 'Count'), el('th', { class: 'num' }, 'Growth/hour'),
          el('th', {}, 'Projection'), el('th', {}, 'Since'), el('th', {}, 'Leaking instances'), el('th', {}, 'Verdict'))),
        el('tbody', {}, rows.map((r) => el('tr', { 'data-service': r.service },
          el('td', {}, r.service), el('td', { class: 'num' }, String(r.count)), el('td', { class: 'num' }, fmtGrowth(r.growth_per_hour)),
          el('td', {}, projection(r.count, r.growth_per_hour) || '—'),
          el('td', {}, r.since ? timeText(r.since) : '—', r.since_version ? ' in ' + r.since_version : ''),
          el('td', { class: 'leaking-instances' }, (r.instances || []).length ? r.instances.join(', ') : '—'),
          verdictCell(r))))));
    } else {
      out.appendChild(el('p', { class: 'empty' }, 'No live instance reports this site now.'));
    }

    /* The chart: a range from the URL, a step no finer than the pushes, totals per
     * service with the threshold and each suspect's projection, or one line per
     * instance with the leaking ones drawn heavier; deploys and restarts as markers. */
    const [rangeName, range] = rangeOf(params);
    const perInstance = params.get('instances') === '1';
    const services = (loc.services || []).map((s) => s.name);
    const now = Math.floor(Date.now() / 1000);
    const from = now - range;
    const timelines = await Promise.all(services.map((name) => api('/api/v1/timeline?service=' + encodeURIComponent(name) +
      '&from=' + from + '&to=' + now).catch(() => ({ events: [], push_interval: null }))));
    const pushInterval = Math.max(60, ...timelines.map((t) => t.push_interval || 60));
    const rangeStep = chooseStep(range, pushInterval);
    const finest = chooseStep(0, pushInterval);
    const hashFor = (changes) => {
      const next = new URLSearchParams(params);
      for (const [k, v] of Object.entries(changes)) { if (v) next.set(k, v); else next.delete(k); }
      return next;
    };
    const stepNote = el('span', { class: 'muted step', id: 'chart-step' });
    out.appendChild(el('h2', {}, 'Count over time'));
    out.appendChild(el('div', { class: 'filters' },
      el('div', { class: 'range', role: 'group', 'aria-label': 'time range' }, RANGES.map(([name]) => el('button', {
        type: 'button', name: 'range', value: name, 'aria-pressed': name === rangeName ? 'true' : 'false',
        onclick: () => setHash('/location/' + id, hashFor({ range: name })),
      }, name))),
      el('label', {}, 'Lines',
        el('span', {}, el('input', {
          type: 'checkbox', name: 'instances', checked: perInstance,
          onchange: (e) => setHash('/location/' + id, hashFor({ instances: e.target.checked ? '1' : '' })),
        }), ' one per instance')),
      stepNote));
    const chartBox = el('div', { class: 'chart', id: 'location-chart', 'data-range': rangeName });
    out.appendChild(chartBox);
    const leaking = new Set(rows.flatMap((r) => (r.instances || []).map((i) => r.service + '/' + i)));
    const seriesUrl = (service, instance, step) => '/api/v1/locations/' + encodeURIComponent(id) + '/series?service=' +
      encodeURIComponent(service) + (instance ? '&instance=' + encodeURIComponent(instance) : '') +
      '&from=' + from + '&to=' + now + '&step=' + step;
    let lines = services.map((name) => ({ name, service: name, instance: null }));
    if (perInstance) {
      const known = await api('/api/v1/services').catch(() => ({ services: [] }));
      lines = [];
      for (const svc of known.services || []) {
        if (!services.includes(svc.name)) continue;
        for (const inst of svc.instances || []) lines.push({ name: svc.name + '/' + inst.name, service: svc.name, instance: inst.name });
      }
    }
    const HOT = ['#b3261e', '#d9480f', '#a61e4d', '#7d5400', '#e03131'];
    const COLD = ['#8a93a5', '#6b7f99', '#9aa4b5'];
    const fetchLines = (step) => {
      let hotIndex = 0, coldIndex = 0;
      return Promise.all(lines.map(async (line) => {
        const hot = perInstance && leaking.has(line.name);
        const stroke = !perInstance ? null : hot ? HOT[hotIndex++ % HOT.length] : COLD[coldIndex++ % COLD.length];
        const s = await api(seriesUrl(line.service, line.instance, step));
        /* the current bucket is still filling: drawn, it would look like a drop */
        const points = (s.series || []).filter((p) => p[0] + step <= now);
        return {
          name: line.name + (hot ? ' (leaking)' : ''), points, service: line.service,
          stroke, width: perInstance ? (hot ? 3 : 1.25) : null,
        };
      }));
    };
    /* The data may span less than a few buckets of the range's step (a fresh install,
     * a new site): then the finest step the pushes allow, so the chart draws a line. */
    let step = rangeStep;
    let named = await fetchLines(step);
    if (Math.max(0, ...named.map((n) => n.points.length)) < 3 && step > finest) {
      step = finest;
      named = await fetchLines(step);
    }
    stepNote.dataset.step = String(step);
    stepNote.textContent = 'one point per ' + fmtDuration(step) +
      (step < rangeStep ? ' (not yet three ' + fmtDuration(rangeStep) + ' points of data)' : '') +
      (pushInterval > 60 ? ' (agents push every ' + fmtDuration(pushInterval) + ')' : '');
    const merged = mergeSeries(named);
    const events = timelines.flatMap((t, i) => (t.events || []).map((e) => Object.assign({ service: services[i] }, e)))
      .sort((a, b) => a.ts - b.ts);
    const markers = groupMarkers(events, step);
    chartBox.dataset.markers = String(markers.length);
    chartBox.dataset.highlighted = [...leaking].filter((n) => lines.some((l) => l.name === n)).join(' ');
    if (merged.xs.length) {
      const extra = [];
      if (!perInstance) {
        /* projection: from each suspect service's last point, at its growth, a quarter
         * of the drawn span ahead (at least a step, at most a quarter of the range) */
        const span = merged.xs[merged.xs.length - 1] - merged.xs[0];
        const ahead = Math.max(step, Math.min(Math.round(range / 4), Math.round(span / 4)));
        const future = merged.xs[merged.xs.length - 1] + ahead;
        merged.xs.push(future);
        for (const s of merged.series) s.values.push(null);
        for (const s of merged.series) {
          const row = rows.find((r) => r.service === s.service);
          if (!row || !row.suspect || !(row.growth_per_hour > 0)) continue;
          const values = new Array(merged.xs.length).fill(null);
          let last = merged.xs.length - 2;
          while (last >= 0 && s.values[last] === null) last--;
          if (last < 0) continue;
          values[last] = s.values[last];
          values[merged.xs.length - 1] = s.values[last] + row.growth_per_hour * (future - merged.xs[last]) / 3600;
          extra.push({ name: s.service + ' projection (' + fmtGrowth(row.growth_per_hour) + ')', values, stroke: '#b3261e', dash: [6, 4], width: 1.5 });
        }
        extra.push({ name: 'threshold (' + settings.threshold + ')', values: merged.xs.map(() => settings.threshold), stroke: '#5c6475', dash: [2, 4], width: 1.5 });
      }
      const all = [...merged.series, ...extra];
      const width = Math.max(300, Math.min(900, (view.clientWidth || 900) - 8));
      timeChart(chartBox, merged.xs, all, width, 280, { markers });
      chartBox.dataset.series = all.map((s) => s.name).join('|');
      out.appendChild(chartTable('location-chart-table', merged.xs, all));
    } else {
      chartBox.appendChild(el('p', { class: 'empty' }, 'No complete ' + fmtDuration(step) + ' bucket in the last ' + rangeName +
        '. Choose a longer range, or wait for the next pushes.'));
    }
    if (markers.length) {
      out.appendChild(el('ul', { id: 'deploys', class: 'markers' }, markers.map((m) => el('li', { 'data-kind': m.kind },
        timeText(m.ts), ' ', m.kind === 'deploy' ? 'deploy of ' + (m.version || 'no version') + (m.previous ? ' (was ' + m.previous + ')' : '') : 'restart',
        ': ', m.instances.join(', ')))));
    }

    out.appendChild(el('h2', {}, 'Services'));
    out.appendChild(el('table', { id: 'services-seen' },
      el('thead', {}, el('tr', {}, el('th', {}, 'Service'), el('th', { class: 'num' }, 'Count'), el('th', { class: 'num' }, 'Instances'), el('th', {}, 'First seen'), el('th', {}, 'Last seen'))),
      el('tbody', {}, (loc.services || []).map((s) => el('tr', {},
        el('td', {}, s.name), el('td', { class: 'num' }, String(s.count)), el('td', { class: 'num' }, String(s.instances)),
        el('td', {}, timeText(s.first_seen)), el('td', {}, timeText(s.last_seen)))))));

    out.appendChild(el('h2', {}, 'Representative stack'));
    out.appendChild(stackView(loc, culprit));

    if (loc.sites && loc.sites.length) {
      out.appendChild(el('h2', {}, 'Other sites in this function'));
      out.appendChild(el('ul', {}, loc.sites.map((s) => el('li', {}, el('a', { href: '#/location/' + s.location_id }, s.op + ' at line ' + s.line)))));
    }

    const mine = (queue.notifications || []).filter((n) => String(n.location_id) === String(id));
    out.appendChild(el('h2', {}, 'Notifications'));
    const status = el('p', { class: 'error', id: 'action-error', role: 'alert' });
    out.appendChild(status);
    if (!mine.length) {
      out.appendChild(el('p', { class: 'empty' }, 'None: a notification is queued while the site is suspect.'));
    }
    const run = runner(status);
    const hasToken = !!adminToken();
    for (const n of mine) {
      const detail = await api('/api/v1/notifications/' + n.id).catch(() => null);
      if (!ctx.alive()) return;
      out.appendChild(el('div', { class: 'notification', 'data-id': n.id },
        el('p', {}, '#' + n.id + ' ' + n.service + ' → ' + n.owner + ' ', stateBadge(n.state), stateDetail(n)),
        el('table', { class: 'inline-actions' }, el('tbody', {}, el('tr', { 'data-id': n.id }, actionCell(n, run, hasToken)))),
        el('ul', { class: 'history' }, ((detail && detail.events) || []).map((e) => el('li', {}, timeText(e.ts), ' ' + e.event + (e.detail ? ' — ' + e.detail : ''))))));
    }
  }

  /* Go's own frames (runtime, internal/, sync): folded unless they are the site. */
  function isRuntimeFrame(f, loc) {
    if (f.in_repo || (f.function === loc.function && f.line === loc.line)) return false;
    return /^runtime\.|^internal\/|^sync\.|^sync\/atomic\./.test(f.function);
  }

  /* The stack, innermost first: in-repo frames highlighted with their repo-relative path
   * (and a source link when web.source_url is set), runtime frames folded behind a
   * toggle, the site and the culprit marked, then the goroutine's "created by" frame. */
  function stackView(loc, culprit) {
    const box = el('div', { class: 'stack', id: 'stack' });
    const frames = loc.stack || [];
    const creators = frames.filter((f) => f.created_by);
    const groups = [];
    let folded = [];
    const flush = () => {
      if (!folded.length) return;
      const group = el('details', { class: 'runtime' }, el('summary', {}, folded.length + ' runtime frame' + (folded.length > 1 ? 's' : '')),
        folded.map((f) => frameView(f, '')));
      groups.push(group);
      box.appendChild(group);
      folded = [];
    };
    for (const f of frames) {
      if (f.created_by) continue;
      if (isRuntimeFrame(f, loc)) {
        folded.push(f);
        continue;
      }
      flush();
      const site = f.function === loc.function && f.line === loc.line;
      const isCulprit = culprit && f.function === culprit.function && f.line === culprit.line;
      box.appendChild(frameView(f, site ? 'site' : isCulprit ? 'culprit' : ''));
    }
    flush();
    for (const f of creators) box.appendChild(frameView(f, 'created by'));
    if (groups.length) {
      const toggle = el('button', {
        type: 'button', id: 'stack-runtime-toggle', 'aria-pressed': 'false', 'aria-controls': 'stack',
        onclick: () => {
          const open = toggle.getAttribute('aria-pressed') !== 'true';
          for (const g of groups) g.open = open;
          toggle.setAttribute('aria-pressed', open ? 'true' : 'false');
          toggle.textContent = open ? 'Fold runtime frames' : 'Show runtime frames';
        },
      }, 'Show runtime frames');
      return el('div', {}, el('div', { class: 'stack-tools' }, toggle,
        el('span', { class: 'muted' }, ' in-repo frames are highlighted')), box);
    }
    return el('div', {}, el('div', { class: 'stack-tools' }, el('span', { class: 'muted' }, 'in-repo frames are highlighted')), box);
  }

  /* One frame: in-repo ones show their repo-relative path (the build path as a title). */
  function frameView(f, mark) {
    const classes = ['frame'];
    if (mark) classes.push(mark.replace(' ', '-'));
    if (f.in_repo) classes.push('in-repo');
    const where = f.in_repo && f.repo_path ? f.repo_path : f.file;
    return el('div', { class: classes.join(' '), 'data-in-repo': f.in_repo ? 'true' : 'false' },
      mark === 'created by' ? el('span', { class: 'created-by-label' }, 'created by ') : null,
      el('span', { class: 'function-name' }, breakable(f.function)),
      mark && mark !== 'created by' ? el('span', { class: 'badge' }, mark) : null,
      el('div', { class: 'file', title: where !== f.file ? f.file + ':' + f.line : null }, breakable(where + ':' + f.line),
        f.in_repo ? [' ', sourceLink(f.repo_path, f.line)] : null));
  }

  /* ---- trends ----------------------------------------------------------------------- */

  async function viewTrends(params, out) {
    const window_ = params.get('window') || '';
    const data = await api('/api/v1/trends' + (window_ ? '?window=' + encodeURIComponent(window_) : ''));
    out.appendChild(el('h1', {}, 'Fastest-growing sites'));
    const choices = ['', '1h', '6h', '24h', '7d'];
    const label = (c) => c || 'detection window (' + fmtDuration(settings.detect_window || data.window) + ')';
    out.appendChild(el('div', { class: 'filters' }, el('label', {}, 'Window',
      el('select', { name: 'window', onchange: (e) => setHash('/trends', new URLSearchParams(e.target.value ? { window: e.target.value } : {})) },
        choices.map((c) => el('option', { value: c, selected: c === window_ }, label(c)))))));
    const rows = (data.trends || []).filter((r) => r.growth_per_hour !== null).slice(0, 50);
    if (!rows.length) {
      out.appendChild(el('p', { class: 'empty', id: 'trends-empty' }, 'Not enough samples in this window yet: a slope needs ' +
        'several pushes per instance. ', window_ ? el('a', { href: '#/trends' }, 'Use the detection window') : 'Choose a longer window', '.'));
      return;
    }
    const body = el('tbody');
    const table = el('table', { id: 'trends' },
      el('thead', {}, el('tr', {}, el('th', {}, 'Service'), el('th', {}, 'Site'), el('th', { class: 'opt' }, 'Op'), el('th', { class: 'num' }, 'Count'),
        el('th', { class: 'num' }, 'Growth/hour'), el('th', { class: 'opt' }, 'Since'), el('th', {}, 'Owner'), el('th', {}, 'History'), el('th', {}, 'Verdict'))), body);
    out.appendChild(table);
    const now = Math.floor(Date.now() / 1000);
    const window = data.window;
    for (const r of rows) {
      const spark = el('div', { class: 'spark' });
      body.appendChild(el('tr', { class: r.suspect ? 'suspect' : '', 'data-key': r.service + '/' + r.location_id },
        el('td', {}, r.service), siteCell(r), el('td', { class: 'opt' }, r.op), el('td', { class: 'num' }, String(r.count)),
        el('td', { class: 'num' }, fmtGrowth(r.growth_per_hour)),
        el('td', { class: 'opt' }, r.since ? timeText(r.since) : '—', r.since_version ? ' in ' + r.since_version : ''),
        el('td', {}, r.owner || 'none'), el('td', {}, spark), verdictCell(r)));
      sparkline(spark, r, now, window);
    }
  }

  /* A small chart of the site's count over the window: about 120 buckets, no finer than a
   * minute; when that leaves fewer than three (a fresh install), minute buckets over what
   * there is, so a few pushes draw a line, not a lone marker. */
  async function sparkline(spark, r, now, window) {
    const base = '/api/v1/locations/' + r.location_id + '/series?service=' + encodeURIComponent(r.service);
    try {
      let step = chooseStep(window, 60) > 60 ? Math.max(60, Math.ceil(window / 120 / 60) * 60) : 60;
      let s = await api(base + '&from=' + (now - window) + '&to=' + now + '&step=' + step);
      let points = s.series || [];
      if (points.length < 3 && step > 60 && points.length) {
        step = 60;
        s = await api(base + '&from=' + Math.max(now - window, points[0][0] - 60) + '&to=' + now + '&step=60');
        points = s.series || [];
      }
      if (points.length === 1) points = [[points[0][0] - step, points[0][1]], points[0]];
      const merged = mergeSeries([{ name: r.service, points }]);
      if (merged.xs.length && spark.isConnected) {
        timeChart(spark, merged.xs, merged.series, spark.clientWidth || 220, 48, { small: true });
        spark.dataset.points = String(merged.xs.length);
      }
    } catch (e) {
      spark.appendChild(el('span', { class: 'muted' }, '—'));
    }
  }

  /* ---- services --------------------------------------------------------------------- */

  async function viewServices(params, out) {
    const data = await api('/api/v1/services');
    out.appendChild(el('h1', {}, 'Services'));
    const now = Date.now() / 1000;
    const body = el('tbody');
    for (const s of data.services || []) {
      for (const [i, inst] of (s.instances || []).entries()) {
        const stale = now - inst.last_push > settings.live_window;
        body.appendChild(el('tr', { class: stale ? 'stale' : '' },
          el('td', {}, i === 0 ? s.name : ''), el('td', {}, i === 0 ? (s.owner || 'none') : ''),
          el('td', {}, inst.name), el('td', { class: 'num' }, String(inst.profiles)),
          el('td', {}, timeText(inst.last_push, fmtAgo(inst.last_push)), stale ? el('span', { class: 'badge stale' }, 'stale') : null)));
      }
    }
    if (!body.firstChild) {
      out.appendChild(el('p', { class: 'empty', id: 'services-empty' }, 'No service has pushed a profile yet. Run ',
        el('code', {}, 'leakfleet-agent --server URL --token TOKEN --service NAME --target http://127.0.0.1:6060'),
        ' next to a Go service that serves /debug/pprof.'));
      return;
    }
    out.appendChild(el('table', { id: 'services' },
      el('thead', {}, el('tr', {}, el('th', {}, 'Service'), el('th', {}, 'Owner'), el('th', {}, 'Instance'), el('th', { class: 'num' }, 'Profiles'), el('th', {}, 'Last push'))), body));
  }

  /* ---- notifications ---------------------------------------------------------------- */

  const QUEUE_STATES = ['', 'pending', 'delivered', 'unrouted', 'acknowledged', 'snoozed', 'resolved'];

  async function viewNotifications(params, out) {
    const state = params.get('state') || '';
    const [data, silences] = await Promise.all([
      api('/api/v1/notifications' + (state ? '?state=' + encodeURIComponent(state) : '')),
      api('/api/v1/silences').catch(() => ({ silences: [] })),
    ]);
    out.appendChild(el('h1', {}, 'Notification queue'));
    out.appendChild(el('div', { class: 'filters' }, el('label', {}, 'State',
      el('select', { name: 'state', onchange: (e) => setHash('/notifications', new URLSearchParams(e.target.value ? { state: e.target.value } : {})) },
        QUEUE_STATES.map((s) => el('option', { value: s, selected: s === state }, s ? (STATE_TEXT[s] || s) : 'any'))))));
    const status = el('p', { class: 'error', id: 'action-error', role: 'alert' });
    const hasToken = !!adminToken();
    const run = runner(status);
    /* A stable order (newest first by id): rows do not move under the pointer when an
     * action changes their state. */
    const list = (data.notifications || []).slice().sort((a, b) => b.id - a.id);
    for (const id of [...selected]) if (!list.some((n) => String(n.id) === id)) selected.delete(id);

    const bulk = bulkBar(list, status, hasToken);
    out.appendChild(bulk);
    out.appendChild(status);
    if (!hasToken) out.appendChild(el('p', { class: 'hint', id: 'token-hint' }, 'Enter an admin token above to act on notifications.'));
    if (!list.length) {
      out.appendChild(el('p', { class: 'empty', id: 'queue-empty' }, state
        ? ['Nothing is ' + (STATE_TEXT[state] || state) + '. ', el('a', { href: '#/notifications' }, 'Show every state'), '.']
        : ['The queue is empty: a notification is queued when a site becomes suspect. See the ', el('a', { href: '#/' }, 'suspects'), '.']));
    } else {
      const body = el('tbody');
      for (const n of list) {
        const box = el('input', {
          type: 'checkbox', name: 'select', value: n.id, 'aria-label': 'select #' + n.id, checked: selected.has(String(n.id)),
          onchange: (e) => { if (e.target.checked) selected.add(String(n.id)); else selected.delete(String(n.id)); bulk.update(); },
        });
        body.appendChild(el('tr', { 'data-id': n.id, tabindex: '-1', class: n.state },
          el('td', {}, box),
          el('td', { class: 'num' }, String(n.id)), el('td', {}, n.service),
          el('td', { class: 'site' }, el('a', { class: 'function', href: '#/location/' + n.location_id }, breakable(n.function)), fileLine(n)),
          el('td', { class: 'num' }, n.count === null || n.count === undefined ? '—' : String(n.count)),
          el('td', { class: 'num' }, fmtGrowth(n.growth_per_hour)),
          el('td', {}, breakable(n.owner, 0), n.owner_manual ? el('span', { class: 'muted' }, ' (by hand)') : null),
          el('td', { class: 'state' }, stateBadge(n.state), n.regression ? el('span', { class: 'badge regression' }, 'regression') : null, stateDetail(n)),
          el('td', { class: 'opt' }, timeText(n.created, fmtAgo(n.created))),
          el('td', {}, timeText(n.updated, fmtAgo(n.updated)), n.actor ? el('div', { class: 'actor' }, 'by ' + n.actor) : null),
          el('td', { class: 'num opt' }, String(n.attempts), n.last_error ? el('div', { class: 'muted' }, n.last_error) : null),
          actionCell(n, run, hasToken)));
      }
      out.appendChild(el('table', { id: 'notifications' },
        el('thead', {}, el('tr', {}, el('th', {}, el('span', { class: 'visually-hidden' }, 'Select')),
          [['#', 'num'], ['Service'], ['Site'], ['Count', 'num'], ['Growth/hour', 'num'], ['Owner'], ['State'],
            ['Created', 'opt'], ['Updated'], ['Attempts', 'num opt'], ['Actions']].map(([h, cls]) => el('th', { class: cls || null }, breakable(h, 0))))), body));
    }

    out.appendChild(el('h2', {}, 'Silences'));
    const active = (silences.silences || []).filter((s) => s.active);
    if (!active.length) out.appendChild(el('p', { class: 'empty', id: 'silences-empty' }, 'No active silence. Select notifications above to silence their sites.'));
    else {
      out.appendChild(el('table', { id: 'silences' },
        el('thead', {}, el('tr', {}, ['Service', 'Site', 'Owner', 'Reason', 'Until', 'Set by'].map((h) => el('th', {}, h)))),
        el('tbody', {}, active.map((s) => el('tr', {},
          el('td', {}, s.service || 'any'), el('td', { class: 'site' }, s.function ? breakable(s.function) : 'any'), el('td', {}, s.owner || 'any'),
          el('td', {}, s.reason), el('td', {}, timeText(s.expires)), el('td', {}, s.created_by || '—'))))));
    }
  }

  /* Acts on the ticked rows: acknowledge, reassign, silence their sites. */
  function bulkBar(list, status, hasToken) {
    const count = el('span', { id: 'selected-count' });
    const owner = el('input', { type: 'text', name: 'reassign-owner', placeholder: '@org/team', 'aria-label': 'new owner', size: 14 });
    const reason = el('input', { type: 'text', name: 'silence-reason', placeholder: 'why', 'aria-label': 'silence reason', size: 16 });
    const duration = el('select', { name: 'silence-for', 'aria-label': 'silence for' },
      el('option', { value: '86400' }, '1 day'), el('option', { value: '604800' }, '1 week'), el('option', { value: '2592000' }, '30 days'));
    const ids = () => list.filter((n) => selected.has(String(n.id)));
    const each = async (what, fn) => {
      const chosen = ids();
      const failures = [];
      for (const n of chosen) {
        try {
          await fn(n);
        } catch (e) {
          failures.push('#' + n.id + ': ' + (e.reason || e.message));
        }
      }
      status.textContent = failures.length ? 'Error: ' + what + ' ' + failures.join('; ') : '';
      if (!failures.length) selected.clear();
      await route({ focus: { id: 'bulk', name: what } });
    };
    const token = () => ({ Authorization: 'Bearer ' + adminToken() });
    const buttons = [
      el('button', { type: 'button', name: 'bulk-ack', onclick: () => each('bulk-ack', (n) => (n.state === 'acknowledged' || n.state === 'resolved' ? null : act(n.id, 'ack'))) }, 'Acknowledge selected'),
      el('span', { class: 'group' }, owner, el('button', {
        type: 'button', name: 'bulk-reassign', onclick: () => {
          if (!owner.value.trim()) { status.textContent = 'Error: give the new owner (@org/team, @user or an email address)'; owner.focus(); return; }
          each('bulk-reassign', (n) => act(n.id, 'reassign', 'owner=' + encodeURIComponent(owner.value.trim())));
        },
      }, 'Reassign')),
      el('span', { class: 'group' }, duration, reason, el('button', {
        type: 'button', name: 'bulk-silence', onclick: () => {
          if (!reason.value.trim()) { status.textContent = 'Error: a silence needs a reason'; reason.focus(); return; }
          const until = Math.floor(Date.now() / 1000) + Number(duration.value);
          each('bulk-silence', (n) => api('/api/v1/silences?service=' + encodeURIComponent(n.service) + '&function=' + encodeURIComponent(n.function) +
            '&reason=' + encodeURIComponent(reason.value.trim()) + '&until=' + until, { method: 'POST', headers: token() }));
        },
      }, 'Silence sites')),
    ];
    const bar = el('div', { class: 'bulk', id: 'bulk', role: 'group', 'aria-label': 'act on the selected notifications', 'data-id': 'bulk' }, count, buttons);
    bar.update = () => {
      const n = ids().length;
      count.textContent = n ? n + ' selected' : 'Select rows to act on several at once';
      for (const b of bar.querySelectorAll('button')) b.disabled = !hasToken || n === 0;
    };
    bar.update();
    return bar;
  }

  /* ---- router ----------------------------------------------------------------------- */

  /* Where focus is, as {id, name} of its row (data-id or data-key) and control. */
  function focusKey() {
    const a = document.activeElement;
    if (!a || !view.contains(a)) return null;
    const row = a.closest('[data-id], [data-key]');
    if (!row) return null;
    return { id: row.dataset.id || row.dataset.key, name: a.getAttribute('name') || a.tagName.toLowerCase() };
  }

  /* Puts focus back on the same control of the same row, or the first usable one, or the
   * row itself: never on another row's button. */
  function restoreFocus(key) {
    if (!key) return;
    const row = [...view.querySelectorAll('[data-id], [data-key]')].find((r) => (r.dataset.id || r.dataset.key) === key.id);
    if (!row) return;
    const same = [...row.querySelectorAll('[name]')].find((c) => c.getAttribute('name') === key.name && !c.disabled);
    const target = same || row.querySelector('button:not(:disabled)') || row;
    if (target === row && !row.hasAttribute('tabindex')) row.setAttribute('tabindex', '-1');
    target.focus();
  }

  function setLoading(on, what) {
    loading = on;
    document.body.dataset.loading = on ? '1' : '';
    view.setAttribute('aria-busy', on ? 'true' : 'false');
    if (on) statusLine.textContent = 'Loading ' + what + '…';
  }

  async function route(opts) {
    const gen = ++generation;
    const ctx = { alive: () => gen === generation };
    const { path, params } = parseHash();
    const section = path.startsWith('/location/') ? 'inventory' : (path.slice(1) || 'inventory');
    for (const a of document.querySelectorAll('nav a')) {
      a.classList.toggle('active', a.dataset.view === section);
      if (a.dataset.view === section) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
    if (!(opts && opts.refresh)) delete document.body.dataset.ready;
    const focus = (opts && opts.focus) || focusKey();
    setLoading(true, section);
    const out = el('div', { class: 'page' });
    /* charts are drawn into out before it is shown: old ones go when it replaces the page */
    const old = charts;
    charts = [];
    try {
      if (path === '/' || path === '') await viewInventory(params, out, ctx);
      else if (path.startsWith('/location/')) await viewLocation(decodeURIComponent(path.slice('/location/'.length)), params, out, ctx);
      else if (path === '/trends') await viewTrends(params, out, ctx);
      else if (path === '/services') await viewServices(params, out, ctx);
      else if (path === '/notifications') await viewNotifications(params, out, ctx);
      else throw new Error('no such page: ' + path);
      if (!ctx.alive()) { for (const c of charts) c.destroy(); charts = old; return; }
      for (const c of old) c.destroy();
      const scroll = window.scrollY;
      view.replaceChildren(out);
      if (opts && opts.refresh) window.scrollTo(0, scroll);
      restoreFocus(focus);
      lastLoad = Date.now();
      statusLine.textContent = '';
      document.body.dataset.loads = String(Number(document.body.dataset.loads || 0) + 1);
      document.body.dataset.ready = path;
    } catch (error) {
      if (!ctx.alive()) { for (const c of charts) c.destroy(); charts = old; return; }
      for (const c of old) c.destroy();
      for (const c of charts) c.destroy();
      charts = [];
      statusLine.textContent = '';
      view.replaceChildren(el('div', { class: 'failure', role: 'alert' },
        el('p', { class: 'error' }, 'Could not load this page: ' + error.message),
        el('button', { type: 'button', id: 'retry', onclick: () => route() }, 'Retry')));
      document.body.dataset.ready = 'error';
    } finally {
      if (ctx.alive()) setLoading(false);
    }
  }

  /* ---- refresh ---------------------------------------------------------------------- */

  const refreshToggle = document.getElementById('refresh-toggle');
  const refreshState = document.getElementById('refresh-state');

  function refreshOn() {
    return localStorage.getItem(REFRESH_KEY) !== 'off';
  }

  function formFocused() {
    const a = document.activeElement;
    return !!a && (a.tagName === 'INPUT' || a.tagName === 'SELECT' || a.tagName === 'TEXTAREA') && a.type !== 'checkbox';
  }

  function showRefresh() {
    const on = refreshOn();
    refreshToggle.setAttribute('aria-pressed', on ? 'true' : 'false');
    refreshToggle.textContent = on ? 'Pause refresh' : 'Resume refresh';
    const age = lastLoad ? Math.round((Date.now() - lastLoad) / 1000) : null;
    let text = age === null ? '' : 'updated ' + age + ' s ago';
    if (on && formFocused()) text += ' · paused while you type';
    else if (on) text += ' · every ' + REFRESH_SECONDS + ' s';
    else text += ' · refresh paused';
    refreshState.textContent = text;
  }

  refreshToggle.addEventListener('click', () => {
    localStorage.setItem(REFRESH_KEY, refreshOn() ? 'off' : 'on');
    showRefresh();
  });

  setInterval(() => {
    showRefresh();
    if (!refreshOn() || loading || formFocused() || !lastLoad || document.hidden) return;
    if (Date.now() - lastLoad >= REFRESH_SECONDS * 1000) route({ refresh: true });
  }, 1000);

  /* ---- the admin token -------------------------------------------------------------- */

  function showTokenState(text, bad) {
    const state = document.getElementById('token-state');
    state.textContent = text !== undefined ? text
      : adminToken() ? 'admin: ' + (sessionStorage.getItem(TOKEN_NAME_KEY) || '?') + ', kept for this session' : '';
    state.className = bad ? 'error' : 'muted';
  }

  /* Asks the server who the token is before keeping it. */
  async function checkToken(token) {
    try {
      const who = await api('/api/v1/whoami', { headers: { Authorization: 'Bearer ' + token } });
      return { ok: true, name: who.name };
    } catch (e) {
      if (e.status === 403) return { ok: false, text: 'not an admin token: it may push profiles, not act on the queue' };
      if (e.status === 401) return { ok: false, text: 'unknown token: the server does not know it' };
      return { ok: false, text: 'could not check the token: ' + e.message };
    }
  }

  document.getElementById('token-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const input = document.getElementById('admin-token');
    const token = input.value;
    if (!token) {
      sessionStorage.removeItem(TOKEN_KEY);
      sessionStorage.removeItem(TOKEN_NAME_KEY);
      showTokenState();
      route();
      return;
    }
    showTokenState('checking…');
    const result = await checkToken(token);
    if (!result.ok) {
      showTokenState(result.text, true);
      input.setAttribute('aria-invalid', 'true');
      return;
    }
    input.removeAttribute('aria-invalid');
    sessionStorage.setItem(TOKEN_KEY, token);
    sessionStorage.setItem(TOKEN_NAME_KEY, result.name);
    input.value = '';
    showTokenState();
    route();
  });

  window.addEventListener('hashchange', () => route());
  showTokenState();
  showRefresh();
  api('/api/v1/settings')
    .then((s) => { settings = Object.assign(settings, s); })
    .catch(() => {})
    .finally(route);
})();
