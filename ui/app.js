/* global uPlot, document, window, EventSource */
// The prechew dashboard: renders the state the node pushes over server-sent events (/ui/events).
'use strict';
(() => {
  const WINDOW_S = 2 * 3600;
  const BUCKET_S = 60;
  const COLORS = ['#2563eb', '#16a34a', '#dc2626', '#9333ea', '#ea580c', '#0891b2', '#4d7c0f', '#be185d'];
  const $ = (id) => document.getElementById(id);
  const nf = new Intl.NumberFormat('en-US');
  const int = (n) => nf.format(Math.round(n ?? 0));
  const usd = (n) => (n >= 0.01 || n === 0 ? `$${n.toFixed(2)}` : `$${n.toFixed(6)}`);
  const ago = (s) => (s < 90 ? `${Math.round(s)} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`);
  const FOR_PEERS = '\u0000for-peers';
  const nodeName = (n) => (n === 'local' ? 'this node' : n === FOR_PEERS ? 'this node, for peers' : n);
  let last;
  let selectedModel;
  const charts = { units: undefined, unitsKey: '', raw: [], savings: undefined };
  window.prechewDashboard = { updates: 0, seenJobs: [] };

  function cell(content, className) {
    const td = document.createElement('td');
    if (content instanceof window.Node) td.append(content);
    else td.textContent = content;
    if (className) td.className = className;
    return td;
  }

  function yesNo(value, yes, no) {
    const span = document.createElement('span');
    span.className = value ? 'yes' : 'no';
    span.textContent = value ? yes : no;
    return span;
  }

  function fillTable(id, rows, build) {
    const body = $(id).querySelector('tbody');
    body.replaceChildren(...rows.map(build));
    $(`${id}-empty`).hidden = rows.length > 0;
  }

  function renderNode(s) {
    const n = s.node;
    $('node-name').textContent = n.mesh ? n.name : 'mesh not configured';
    $('node-fingerprint').textContent = n.fingerprint ?? '– (no mesh: see README "Mesh")';
    if (n.consent) {
      const c = n.consent;
      $('consent').replaceChildren(yesNo(c.accepting, 'accepting units', 'not accepting'), document.createTextNode(` · mode ${c.mode}${c.reason ? ` · ${c.reason}` : ''}${c.othersLoad !== undefined && c.othersLoad !== null ? ` · machine load ${Math.round(c.othersLoad * 100)}%` : ''}`));
    } else $('consent').textContent = '–';
    $('offload').textContent = n.offload ?? '–';
    $('worker-units').textContent = n.worker ? `${int(n.worker.unitsDone)} done, ${int(n.worker.unitsFailed)} failed` : '–';
    $('node-version').textContent = `${n.version}, up ${ago(n.uptimeS)}`;
  }

  function renderCards(s) {
    const t = s.totals;
    if (!selectedModel || !s.models.includes(selectedModel)) selectedModel = s.models[0];
    const select = $('model');
    if (select.options.length !== s.models.length) {
      select.replaceChildren(...s.models.map((m) => new window.Option(m, m)));
      select.value = selectedModel;
    }
    $('tokens-saved').textContent = int(t.tokensSaved);
    $('tokens-detail').textContent = `${int(t.naiveTokens)} naive → ${int(t.tokensOut)} sent`;
    $('usd-saved').textContent = usd(t.savedUsd[selectedModel] ?? 0);
    $('calls-total').textContent = int(t.calls);
    $('calls-failed').textContent = t.errors ? `${int(t.errors)} failed` : 'none failed';
    $('cache-rate').textContent = t.cacheLookups ? `${Math.round((t.cacheHits / t.cacheLookups) * 100)}%` : '–';
    $('cache-detail').textContent = `${int(t.cacheHits)} of ${int(t.cacheLookups)} lookups`;
    const units = s.perPeer.reduce((sum, p) => sum + p.units, 0);
    $('units-total').textContent = int(units);
    const forPeers = s.node.worker?.unitsDone ? [`${int(s.node.worker.unitsDone)} more run here for peers`] : [];
    $('units-detail').textContent = [...s.perPeer.map((p) => `${nodeName(p.node)} ${int(p.units)}`), ...forPeers].join(', ');
    const p = t.provider;
    $('ask-cost').textContent = p.calls ? usd(p.costUsd) : '–';
    $('ask-detail').textContent = p.calls ? `vs ${usd(p.naiveCostUsd)} sending everything` : 'no ask calls yet';
  }

  function renderPeers(s) {
    fillTable('peers', s.peers, (p) => {
      const tr = document.createElement('tr');
      tr.dataset.peer = p.name;
      tr.title = p.error ?? p.excluded ?? p.url;
      tr.append(
        cell(p.name),
        cell(p.fingerprint ?? '–', 'mono'),
        cell(yesNo(p.reachable, 'yes', p.error ? 'no' : 'no')),
        cell(p.latencyMs === undefined || p.latencyMs === null ? '–' : `${Math.round(p.latencyMs)} ms`, 'num'),
        cell(p.accepting === undefined || p.accepting === null ? '–' : yesNo(p.accepting, 'yes', `no${p.acceptReason ? ` (${p.acceptReason})` : ''}`)),
        cell(p.freeSlots ?? '–', 'num'),
        cell(p.unitsDone === undefined || p.unitsDone === null ? '–' : `${int(p.unitsDone)} / ${int(p.unitsFailed ?? 0)}`, 'num'),
      );
      return tr;
    });
  }

  function renderJobs(s) {
    const now = s.at;
    fillTable('jobs', s.jobs, (j) => {
      if (!window.prechewDashboard.seenJobs.includes(j.tool)) window.prechewDashboard.seenJobs.push(j.tool);
      const tr = document.createElement('tr');
      tr.dataset.tool = j.tool;
      const bar = document.createElement('span');
      bar.className = 'progress';
      const fill = document.createElement('span');
      const fraction = j.total ? Math.min(1, (j.progress ?? 0) / j.total) : 0;
      fill.style.width = `${Math.round(fraction * 100)}%`;
      bar.append(fill);
      const label = document.createElement('span');
      label.textContent = j.total ? ` ${int(j.progress ?? 0)}/${int(j.total)}` : ' starting…';
      const wrap = document.createElement('span');
      wrap.append(bar, label);
      const units = Object.entries(j.units).map(([n, c]) => `${nodeName(n)} ${c}`).join(', ');
      tr.append(cell(j.tool), cell(wrap), cell(units || '–'), cell(ago((now - j.started) / 1000)));
      return tr;
    });
  }

  function renderErrors(s) {
    fillTable('errors', s.errors, (e) => {
      const tr = document.createElement('tr');
      tr.append(cell(e.code, 'mono'), cell(int(e.count), 'num'), cell(new Date(e.last).toLocaleString()));
      return tr;
    });
  }

  /** Per-minute buckets over the window, zeros where nothing ran; running calls count in the current minute. */
  function buckets(s) {
    const end = Math.floor(s.at / 1000 / BUCKET_S) * BUCKET_S;
    const xs = [];
    for (let t = end - WINDOW_S + BUCKET_S; t <= end; t += BUCKET_S) xs.push(t);
    const index = new Map(xs.map((t, i) => [t, i]));
    const nodes = new Set();
    for (const p of s.series) for (const n of Object.keys(p.units)) nodes.add(n);
    for (const j of s.jobs) for (const n of Object.keys(j.units)) nodes.add(n);
    if (s.forPeers.length) nodes.add(FOR_PEERS);
    const rank = (n) => (n === 'local' ? 0 : n === FOR_PEERS ? 1 : 2);
    const names = [...nodes].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    const units = names.map(() => xs.map(() => 0));
    const tokens = xs.map(() => 0);
    const dollars = xs.map(() => 0);
    for (const p of s.series) {
      const i = index.get(Math.floor(p.at / 1000 / BUCKET_S) * BUCKET_S);
      if (i === undefined) continue;
      tokens[i] += p.tokensSaved;
      dollars[i] += p.savedUsd;
      names.forEach((n, k) => (units[k][i] += p.units[n] ?? 0));
    }
    for (const j of s.jobs) names.forEach((n, k) => (units[k][xs.length - 1] += j.units[n] ?? 0));
    const peersRow = units[names.indexOf(FOR_PEERS)];
    for (const p of s.forPeers) {
      const i = index.get(Math.floor(p.at / 1000 / BUCKET_S) * BUCKET_S);
      if (peersRow && i !== undefined) peersRow[i] += p.units;
    }
    for (let i = 1; i < xs.length; i++) {
      tokens[i] += tokens[i - 1];
      dollars[i] += dollars[i - 1];
    }
    return { xs, names, units, tokens, dollars };
  }

  function width(el) {
    return Math.max(300, el.clientWidth || 600);
  }

  function renderCharts(s) {
    if (typeof uPlot === 'undefined') return;
    const b = buckets(s);
    const unitsEl = $('chart-units');
    const key = b.names.join('\u0000');
    // Stacked bars: series k draws the sum of nodes k..last, widest first, so each node's share shows;
    // the legend shows each node's own count.
    const stacks = b.names.map((_, k) => b.xs.map((_, i) => b.units.slice(k).reduce((sum, row) => sum + row[i], 0)));
    if (!charts.units || charts.unitsKey !== key) {
      charts.units?.destroy();
      charts.unitsKey = key;
      const bars = uPlot.paths.bars({ size: [0.9, 16] });
      charts.units = new uPlot(
        {
          width: width(unitsEl),
          height: 240,
          scales: { y: { range: (u, min, max) => [0, Math.max(1, max)] } },
          series: [
            {},
            ...b.names.map((n, k) => ({
              label: nodeName(n),
              stroke: COLORS[k % COLORS.length],
              fill: COLORS[k % COLORS.length],
              paths: bars,
              points: { show: false },
              value: (u, v, si, i) => (i === null || i === undefined ? '–' : String(charts.raw[k][i] ?? 0)),
            })),
          ],
          axes: [{}, { label: 'units', values: (u, splits) => splits.map((v) => (Number.isInteger(v) ? String(v) : '')) }],
        },
        [b.xs, ...stacks],
        unitsEl,
      );
    }
    charts.raw = b.units;
    charts.units.setData([b.xs, ...stacks]);
    const savingsEl = $('chart-savings');
    const model = s.models[0] ?? '';
    $('savings-title').textContent = `Saved over time, cumulative (last 2 h; $ for ${model})`;
    if (!charts.savings) {
      charts.savings = new uPlot(
        {
          width: width(savingsEl),
          height: 240,
          series: [{}, { label: 'tokens saved', stroke: COLORS[0], width: 2, scale: 'tokens' }, { label: `$ saved (${model})`, stroke: COLORS[1], width: 2, scale: 'usd', value: (u, v) => (v === null ? '–' : usd(v)) }],
          scales: { tokens: { range: (u, min, max) => [0, Math.max(1, max)] }, usd: { range: (u, min, max) => [0, Math.max(0.0001, max)] } },
          axes: [
            {},
            { scale: 'tokens', label: 'tokens', size: 60, values: (u, splits) => splits.map((v) => (Number.isInteger(v) ? int(v) : '')) },
            { scale: 'usd', side: 1, label: 'USD', size: 70, grid: { show: false }, values: (u, splits) => splits.map((v) => usd(v)) },
          ],
        },
        [b.xs, b.tokens, b.dollars],
        savingsEl,
      );
    } else charts.savings.setData([b.xs, b.tokens, b.dollars]);
  }

  function render(s) {
    last = s;
    renderNode(s);
    renderCards(s);
    renderPeers(s);
    renderJobs(s);
    renderErrors(s);
    renderCharts(s);
    window.prechewDashboard.updates++;
    document.body.dataset.updates = String(window.prechewDashboard.updates);
  }

  $('model').addEventListener('change', (e) => {
    selectedModel = e.target.value;
    if (last) renderCards(last);
  });
  window.addEventListener('resize', () => {
    for (const [id, chart] of [['chart-units', charts.units], ['chart-savings', charts.savings]]) chart?.setSize({ width: width($(id)), height: 240 });
  });

  const status = $('status');
  const events = new EventSource('/ui/events');
  events.addEventListener('state', (e) => render(JSON.parse(e.data)));
  events.addEventListener('open', () => {
    status.textContent = 'live';
    status.className = 'badge live';
  });
  events.addEventListener('error', () => {
    status.textContent = 'reconnecting…';
    status.className = 'badge down';
  });
})();
