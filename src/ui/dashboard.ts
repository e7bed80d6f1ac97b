/**
 * The dashboard: a page at /ui on the HTTP server showing this node and its mesh — identity,
 * consent, peers, calls running now, units per node and savings over time (uPlot charts), cache hit
 * rate and errors by code — updated live over server-sent events. It is mounted behind the same
 * Host and Origin checks as /mcp. When an auth token is set, a browser presents it once as
 * `/ui?token=…`; the answer sets an HttpOnly, SameSite=Strict cookie scoped to /ui that holds a
 * digest of the token (never the token) and redirects to /ui, so the token leaves the address bar.
 * The cookie opens /ui only, never /mcp. Everything the page loads comes from this server: its own
 * files from the `ui/` folder of the package and uPlot from the installed npm package.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { App } from '../app.js';
import { REPORTED_MODELS } from '../cloud/pricing.js';
import { log } from '../log.js';
import { getLedger, type LedgerStats, type SeriesPoint } from '../store/ledger.js';
import { getActivity } from '../tools/activity.js';
import { version } from '../version.js';

export const UI_COOKIE = 'prechew_ui';
/** Charts cover this much history, in buckets of a minute. */
const SERIES_WINDOW_MS = 2 * 3_600_000;
const SERIES_BUCKET_MS = 60_000;
/** Least time between two pushed snapshots, and the most (peers' latency and consent change on their own). */
const PUSH_MIN_MS = 250;
const PUSH_MAX_MS = 2000;
/** How often the peers' signed status is checked while someone watches. */
const PEER_REFRESH_MS = 5000;
const MAX_SSE_CLIENTS = 16;
/** The ledger is summed again at most this often after calls finish, and at least this often anyway. */
const LEDGER_MIN_MS = 1000;
const LEDGER_MAX_MS = 30_000;

interface Asset {
  file: string;
  type: string;
}

function findUiDir(): string | undefined {
  // src/ui/dashboard.ts runs from src/ui (tests) or dist/src/ui (built): the folder sits at the package root.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(path.join(dir, 'ui', 'index.html'))) return path.join(dir, 'ui');
    dir = path.dirname(dir);
  }
  return undefined;
}

function assets(): Map<string, Asset> {
  const map = new Map<string, Asset>();
  const ui = findUiDir();
  if (ui) {
    map.set('/ui', { file: path.join(ui, 'index.html'), type: 'text/html; charset=utf-8' });
    map.set('/ui/app.js', { file: path.join(ui, 'app.js'), type: 'text/javascript; charset=utf-8' });
    map.set('/ui/app.css', { file: path.join(ui, 'app.css'), type: 'text/css; charset=utf-8' });
  }
  try {
    const require = createRequire(import.meta.url);
    const uplot = path.dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
    map.set('/ui/vendor/uPlot.iife.min.js', { file: path.join(uplot, 'uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' });
    map.set('/ui/vendor/uPlot.min.css', { file: path.join(uplot, 'uPlot.min.css'), type: 'text/css; charset=utf-8' });
  } catch (error) {
    log.warn('dashboard: the uplot package is not installed; charts are off', { error });
  }
  return map;
}

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function sameDigest(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

function cookieValue(req: http.IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export interface DashboardState {
  at: number;
  node: {
    name: string;
    version: string;
    uptimeS: number;
    mesh: boolean;
    fingerprint?: string | undefined;
    offload?: string | undefined;
    consent?: { accepting: boolean; reason: string; mode: string; othersLoad: number | undefined } | undefined;
    worker?: { unitsDone: number; unitsFailed: number } | undefined;
  };
  peers: Array<{
    name: string;
    url: string;
    fingerprint: string | undefined;
    trusted: boolean;
    reachable: boolean;
    latencyMs: number | undefined;
    accepting: boolean | undefined;
    acceptReason: string | undefined;
    freeSlots: number | undefined;
    unitsDone: number | undefined;
    unitsFailed: number | undefined;
    excluded: string | undefined;
    error: string | undefined;
  }>;
  jobs: Array<{ id: number; tool: string; started: number; progress: number | undefined; total: number | undefined; units: Record<string, number> }>;
  models: string[];
  totals: LedgerStats['totals'];
  perPeer: LedgerStats['perPeer'];
  errors: LedgerStats['errors'];
  recentErrors: Array<{ at: number; tool: string; code: string }>;
  series: SeriesPoint[];
  /** Units this node ran for peers, per minute since the server started (not in the ledger: they are other nodes' calls). */
  forPeers: Array<{ at: number; units: number }>;
}

export interface Dashboard {
  /** Whether this request is the dashboard's to answer. */
  handles(pathname: string, req: http.IncomingMessage): boolean;
  handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void>;
  close(): void;
}

export function createDashboard(app: App, options: { token: string | undefined }): Dashboard {
  const files = assets();
  const cookie = options.token ? createHmac('sha256', options.token).update('prechew-dashboard-cookie-v1').digest('base64url') : undefined;
  const started = Date.now();
  const activity = getActivity(app);
  const clients = new Set<http.ServerResponse>();
  let ledgerPart: Pick<DashboardState, 'totals' | 'perPeer' | 'errors' | 'recentErrors' | 'series'> | undefined;
  let ledgerAt = 0;
  let ledgerDirty = false;
  let pushTimer: NodeJS.Timeout | undefined;
  let lastPush = 0;
  let peerTimer: NodeJS.Timeout | undefined;
  let heartbeat: NodeJS.Timeout | undefined;

  const models = [...new Set<string>([...REPORTED_MODELS, ...Object.keys(app.config.cloud.pricing)])];

  // Units run here for peers, sampled from the worker's counter into per-minute buckets.
  const forPeers = new Map<number, number>();
  let lastWorkerCount = 0;
  function sampleWorker(): void {
    const done = app.mesh?.node.counters.unitsDone ?? 0;
    if (done > lastWorkerCount) {
      const bucket = Math.floor(Date.now() / SERIES_BUCKET_MS) * SERIES_BUCKET_MS;
      forPeers.set(bucket, (forPeers.get(bucket) ?? 0) + done - lastWorkerCount);
      for (const at of forPeers.keys()) if (at < bucket - SERIES_WINDOW_MS) forPeers.delete(at);
    }
    lastWorkerCount = done;
  }
  const sampler = setInterval(sampleWorker, 5000);
  sampler.unref();

  /**
   * The ledger's figures, read again only after a call finished here (at most every few seconds:
   * all-time sums over a large ledger are not free) or after a while (another process, such as
   * `prechew run`, may write to the same ledger).
   */
  function readLedger(): NonNullable<typeof ledgerPart> {
    const now = Date.now();
    const age = now - ledgerAt;
    if (!ledgerPart || (ledgerDirty && age > LEDGER_MIN_MS) || age > LEDGER_MAX_MS) {
      const ledger = getLedger(app);
      ledgerPart = {
        ...ledger.summary(),
        recentErrors: ledger.recentErrors(10),
        series: ledger.series(now - SERIES_WINDOW_MS, SERIES_BUCKET_MS, models[0] ?? 'claude-sonnet-4-5'),
      };
      ledgerAt = now;
      ledgerDirty = false;
    }
    return ledgerPart;
  }

  function state(): DashboardState {
    sampleWorker();
    const mesh = app.mesh;
    const consent = mesh?.consent.state();
    return {
      at: Date.now(),
      node: {
        name: mesh?.settings.name ?? 'this node',
        version,
        uptimeS: Math.round((Date.now() - started) / 1000),
        mesh: mesh !== undefined,
        fingerprint: mesh?.identity.fingerprint,
        offload: mesh?.settings.offload,
        consent: consent ? { accepting: consent.accepting, reason: consent.reason, mode: consent.mode, othersLoad: consent.othersLoad } : undefined,
        worker: mesh?.node.counters,
      },
      peers: (mesh?.peerRows() ?? []).map((p) => ({
        name: p.name,
        url: p.url,
        fingerprint: p.fingerprint,
        trusted: p.trusted,
        reachable: p.reachable,
        latencyMs: p.latencyMs,
        accepting: p.accepting,
        acceptReason: p.acceptReason,
        freeSlots: p.freeSlots,
        unitsDone: p.unitsDone,
        unitsFailed: p.unitsFailed,
        excluded: p.excluded,
        error: p.error,
      })),
      jobs: [...activity.running.values()].map((c) => ({ ...c, units: { ...c.units } })),
      models,
      ...readLedger(),
      forPeers: [...forPeers].map(([at, units]) => ({ at, units })),
    };
  }

  function push(): void {
    pushTimer = undefined;
    lastPush = Date.now();
    if (clients.size === 0) return;
    let text: string;
    try {
      text = `event: state\ndata: ${JSON.stringify(state())}\n\n`;
    } catch (error) {
      log.warn('dashboard: could not build the state', { error });
      return;
    }
    for (const res of clients) res.write(text);
  }

  function schedulePush(): void {
    if (pushTimer || clients.size === 0) return;
    pushTimer = setTimeout(push, Math.max(0, PUSH_MIN_MS - (Date.now() - lastPush)));
  }

  const onChange = (): void => schedulePush();
  const onFinished = (): void => {
    ledgerDirty = true;
    // The first finished call since the last read shows at once; a busy stream of calls at most every LEDGER_MIN_MS.
    const wait = Math.max(0, LEDGER_MIN_MS - (Date.now() - ledgerAt));
    if (wait === 0) schedulePush();
    else setTimeout(schedulePush, wait + 10).unref();
  };

  function startWatching(): void {
    activity.on('change', onChange);
    activity.on('finished', onFinished);
    heartbeat = setInterval(push, PUSH_MAX_MS);
    if (app.mesh) {
      void app.mesh.refresh();
      peerTimer = setInterval(() => void app.mesh?.refresh(), PEER_REFRESH_MS);
    }
  }

  function stopWatching(): void {
    activity.off('change', onChange);
    activity.off('finished', onFinished);
    clearInterval(heartbeat);
    clearInterval(peerTimer);
    clearTimeout(pushTimer);
    pushTimer = undefined;
  }

  function authorized(req: http.IncomingMessage): boolean {
    if (!options.token) return true;
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
    if (bearer && sameDigest(bearer, options.token)) return true;
    const presented = cookieValue(req, UI_COOKIE);
    return presented !== undefined && sameDigest(presented, cookie!);
  }

  function events(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (clients.size >= MAX_SSE_CLIENTS) return send(res, 503, 'text/plain; charset=utf-8', 'Too many dashboard pages open on this node; close one and reload.', { 'retry-after': '5' });
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    if (clients.size === 0) startWatching();
    clients.add(res);
    res.once('close', () => {
      clients.delete(res);
      if (clients.size === 0) stopWatching();
    });
    res.write(`event: state\ndata: ${JSON.stringify(state())}\n\n`);
  }

  return {
    handles(pathname, req) {
      if (pathname === '/ui' || pathname.startsWith('/ui/')) return true;
      // A browser opening the server's address lands on the dashboard; other clients keep the 404.
      return pathname === '/' && req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');
    },

    async handle(req, res, url) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'The dashboard is read-only: GET only.', { allow: 'GET, HEAD' });
      const pathname = url.pathname === '/ui/' ? '/ui' : url.pathname;
      if (pathname === '/') return send(res, 302, 'text/plain; charset=utf-8', 'See /ui', { location: '/ui' });
      const token = url.searchParams.get('token');
      if (options.token && pathname === '/ui' && token !== null) {
        if (!sameDigest(token, options.token)) return send(res, 401, 'text/plain; charset=utf-8', 'Unauthorized: that token is not this server\'s auth token.');
        // The token is exchanged for a cookie once; the redirect takes it out of the address bar.
        return send(res, 303, 'text/plain; charset=utf-8', 'See /ui', {
          location: '/ui',
          'set-cookie': `${UI_COOKIE}=${cookie}; Path=/ui; HttpOnly; SameSite=Strict`,
        });
      }
      if (!authorized(req)) {
        return send(res, 401, 'text/plain; charset=utf-8', 'Unauthorized: this server has an auth token. Open /ui?token=<token> once in this browser (it sets a cookie for /ui), or send Authorization: Bearer <token>.', {
          'www-authenticate': 'Bearer realm="prechew"',
        });
      }
      if (pathname === '/ui/events') return req.method === 'GET' ? events(req, res) : send(res, 405, 'text/plain; charset=utf-8', 'The event stream takes GET.', { allow: 'GET' });
      if (pathname === '/ui/api/state') return send(res, 200, 'application/json', JSON.stringify(state()));
      const asset = files.get(pathname);
      if (!asset) {
        const missing = pathname === '/ui' ? ' This installation lacks the dashboard files (the ui/ folder of the package).' : '';
        return send(res, 404, 'text/plain; charset=utf-8', `Not found.${missing}`);
      }
      let body: Buffer;
      try {
        body = readFileSync(asset.file);
      } catch {
        return send(res, 404, 'text/plain; charset=utf-8', 'Not found: this installation lacks the dashboard files.');
      }
      return send(res, 200, asset.type, req.method === 'HEAD' ? '' : body, req.method === 'HEAD' ? { 'content-length': String(body.length) } : {});
    },

    close() {
      clearInterval(sampler);
      stopWatching();
      for (const res of clients) res.end();
      clients.clear();
    },
  };
}
