/**
 * Streamable HTTP at /mcp. Guards run before the SDK sees a request, in this order:
 * Host → Origin (DNS-rebinding protection, 403) → bearer token (401, constant-time) → body size
 * (413). Modern (2026-07-28) requests and stateless 2025 requests go to createMcpHandler;
 * 2025-era clients that initialize get a session with resumable SSE.
 */
import http from 'node:http';
import { randomUUID, timingSafeEqual, createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { createMcpHandler, type EventStore, type JSONRPCMessage } from '@modelcontextprotocol/server';
import { NodeStreamableHTTPServerTransport, toNodeHandler } from '@modelcontextprotocol/node';
import type { App } from '../app.js';
import { isLoopbackHost, type ServerConfig } from '../config.js';
import { PrechewError, quoteInput } from '../errors.js';
import { log } from '../log.js';
import { createMcpServer } from '../server.js';
import { createDashboard } from '../ui/dashboard.js';

export interface HttpOptions {
  host: string;
  port: number;
  token: string | undefined;
}

export interface RunningHttpServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Bounded in-memory event store so 2025-era clients can resume an SSE stream after a drop. Bounded
 * by count and by bytes: the oldest events go first, so a session can never hold more than
 * maxBytes of responses however many calls it makes.
 */
export class MemoryEventStore implements EventStore {
  private readonly events = new Map<string, { streamId: string; message: JSONRPCMessage; bytes: number }>();
  private totalBytes = 0;
  constructor(
    private readonly maxBytes: number,
    private readonly maxEvents = 2000,
  ) {}
  get bytes(): number {
    return this.totalBytes;
  }
  get size(): number {
    return this.events.size;
  }
  async storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    const id = `${streamId}_${randomUUID()}`;
    const bytes = Buffer.byteLength(JSON.stringify(message));
    // An event larger than the whole budget is sent but not kept: it could never be replayed within the bound.
    if (bytes > this.maxBytes) return id;
    this.events.set(id, { streamId, message, bytes });
    this.totalBytes += bytes;
    while (this.events.size > this.maxEvents || this.totalBytes > this.maxBytes) {
      const [oldest, event] = this.events.entries().next().value!;
      this.events.delete(oldest);
      this.totalBytes -= event.bytes;
    }
    return id;
  }
  async getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    return this.events.get(eventId)?.streamId;
  }
  async replayEventsAfter(
    lastEventId: string,
    { send }: { send: (id: string, m: JSONRPCMessage) => Promise<void> },
  ): Promise<string> {
    const start = this.events.get(lastEventId);
    if (!start) return '';
    let after = false;
    for (const [id, e] of this.events) {
      if (id === lastEventId) {
        after = true;
        continue;
      }
      if (after && e.streamId === start.streamId) await send(id, e.message);
    }
    return start.streamId;
  }
}

// A Host header is a DNS name or IPv4 address, or an IPv6 address in brackets, with an optional port.
// Underscores are not valid in DNS names but do occur in container and LAN host names.
const HOST_HEADER = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9_](?:[a-z0-9_.-]{0,252}[a-z0-9_])?))(?::(\d{1,5}))?$/i;

/** The host name of a Host header ("[::1]:7777" → "::1"), or undefined when it is malformed. */
export function hostnameOf(hostHeader: string): string | undefined {
  const m = HOST_HEADER.exec(hostHeader);
  if (!m) return undefined;
  return (m[1] ?? m[2]!).toLowerCase();
}

export function isWildcardHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === '0.0.0.0' || h === '::' || h === '0:0:0:0:0:0:0:0';
}

/** Addresses of this machine's own interfaces (IPv6 zone ids dropped). */
export function localAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) out.push(a.address.replace(/%.*$/, '').toLowerCase());
  }
  return out;
}

export function buildHostAllowlist(bindHost: string, extra: string[]): Set<string> {
  const set = new Set(['localhost', '127.0.0.1', '::1', ...extra.map((h) => h.toLowerCase())]);
  if (isWildcardHost(bindHost)) {
    // Bound to every interface: the machine's own addresses and name are how clients reach it.
    for (const address of localAddresses()) set.add(address);
    set.add(os.hostname().toLowerCase());
  } else {
    set.add(bindHost.toLowerCase().replace(/^\[|\]$/g, ''));
  }
  return set;
}

/** The host to print in the URL: the bound address, or for a wildcard bind a real interface address. */
export function advertisedHost(bindHost: string): string {
  if (!isWildcardHost(bindHost))
    return bindHost.includes(':') && !bindHost.startsWith('[') ? `[${bindHost}]` : bindHost;
  const external: os.NetworkInterfaceInfo[] = [];
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) if (!a.internal) external.push(a);
  const v4 = external.find((a) => a.family === 'IPv4');
  if (v4) return v4.address;
  const v6 = bindHost.includes(':')
    ? external.find((a) => a.family === 'IPv6' && !a.address.startsWith('fe80'))
    : undefined;
  if (v6) return `[${v6.address}]`;
  return '127.0.0.1';
}

/** Deepest nesting of arrays and objects in a JSON text, stopping early past max (linear, no recursion). */
export function jsonNestingDepth(text: string, max: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > deepest) {
        deepest = depth;
        if (deepest > max) return deepest;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/** Deeper JSON than this is refused before parsing: no MCP message needs it, and deep values overflow validators. */
export const MAX_JSON_DEPTH = 128;

export function isAllowedOrigin(
  origin: string,
  allowedHosts: Set<string>,
  allowedOrigins: string[],
): boolean {
  if (allowedOrigins.includes(origin)) return true;
  try {
    const url = new URL(origin);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    return isLoopbackHost(host) || allowedHosts.has(host);
  } catch {
    return false;
  }
}

function tokenMatches(presented: string, expected: string): boolean {
  // Hash both sides so lengths match and the compare takes constant time.
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function rpcError(
  res: http.ServerResponse,
  status: number,
  code: number,
  message: string,
  headers?: Record<string, string>,
): void {
  sendJson(res, status, { jsonrpc: '2.0', error: { code, message }, id: null }, headers);
}

async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > limit) throw new PrechewError('INPUT_TOO_LARGE', `Request body over ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, total);
}

/**
 * Answer 413 and discard the rest of the body (up to a bound) so the client can read the answer
 * instead of failing with a broken pipe; past the bound the connection is dropped.
 */
function rejectOversize(req: http.IncomingMessage, res: http.ServerResponse, limit: number): void {
  rpcError(res, 413, -32000, `Request body too large (limit ${limit} bytes; server.maxBodyBytes).`);
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > 16 * limit) req.destroy();
  });
  req.resume();
}

function isInitialize(body: unknown): boolean {
  const check = (m: unknown) =>
    typeof m === 'object' && m !== null && (m as { method?: unknown }).method === 'initialize';
  return Array.isArray(body) ? body.some(check) : check(body);
}

export function validateBind(host: string, token: string | undefined): void {
  if (!isLoopbackHost(host) && !token) {
    throw new PrechewError(
      'CONFIG_INVALID',
      `Refusing to listen on ${host}: a non-loopback address exposes prechew to the network. Set an auth token first (auth.token in the config or PRECHEW_TOKEN, at least 16 characters), or bind 127.0.0.1.`,
    );
  }
}

export async function startHttpServer(app: App, options: HttpOptions): Promise<RunningHttpServer> {
  const cfg: ServerConfig = app.config.server;
  validateBind(options.host, options.token);
  const allowedHosts = buildHostAllowlist(options.host, cfg.allowedHosts);
  // Over HTTP any local user can connect: client roots may only narrow the configured ones.
  const factory = () => createMcpServer(app, { clientRoots: 'within-configured' });
  const modern = createMcpHandler(factory, {
    legacy: 'stateless',
    maxRequestBodySize: cfg.maxBodyBytes,
    onerror: (error) => log.debug('http handler error', { error }),
  });
  const modernNode = toNodeHandler(modern);

  interface Session {
    transport: NodeStreamableHTTPServerTransport;
    lastSeen: number;
    /** Requests of this session still open (tool calls, SSE streams): a session in use is never idle. */
    active: number;
    client: string;
    close: () => Promise<void>;
  }
  const sessions = new Map<string, Session>();
  /** Sessions per client address, counting those still initializing, so a burst cannot overshoot the caps. */
  const perClient = new Map<string, number>();
  const inFlight = new Set<http.ServerResponse>();
  let shuttingDown = false;
  let opening = 0;

  const release = (client: string) => {
    const n = (perClient.get(client) ?? 1) - 1;
    if (n <= 0) perClient.delete(client);
    else perClient.set(client, n);
  };
  const dropSession = (id: string) => {
    const s = sessions.get(id);
    if (!s) return;
    sessions.delete(id);
    release(s.client);
  };

  const trackActivity = (session: Session, res: http.ServerResponse) => {
    session.lastSeen = Date.now();
    session.active++;
    res.once('close', () => {
      session.active--;
      session.lastSeen = Date.now();
    });
  };

  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const [id, s] of sessions) {
        if (s.active === 0 && now - s.lastSeen > cfg.sessionIdleMs) {
          dropSession(id);
          void s.close();
        }
      }
    },
    Math.min(60_000, Math.max(250, Math.floor(cfg.sessionIdleMs / 4))),
  );
  sweep.unref();

  async function openSession(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body: unknown,
  ): Promise<void> {
    const client = req.socket.remoteAddress ?? 'unknown';
    if (sessions.size + opening >= cfg.maxSessions) {
      log.warn('session limit reached; refusing a new session', {
        sessions: sessions.size,
        limit: cfg.maxSessions,
      });
      return rpcError(
        res,
        503,
        -32000,
        `Too many open sessions (server.maxSessions = ${cfg.maxSessions}). Close idle sessions (HTTP DELETE with the Mcp-Session-Id) or retry later.`,
        {
          'retry-after': '5',
        },
      );
    }
    if ((perClient.get(client) ?? 0) >= cfg.maxSessionsPerClient) {
      return rpcError(
        res,
        429,
        -32000,
        `Too many open sessions from this client (server.maxSessionsPerClient = ${cfg.maxSessionsPerClient}). Reuse or close an existing session (HTTP DELETE with the Mcp-Session-Id).`,
        {
          'retry-after': '5',
        },
      );
    }
    perClient.set(client, (perClient.get(client) ?? 0) + 1);
    opening++;
    let registered = false;
    const server = factory();
    let sessionId: string | undefined;
    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      // Resumable streams only when asked for: the event store costs a stored priming event per response.
      ...(cfg.resumableStreams ? { eventStore: new MemoryEventStore(cfg.maxEventStoreBytes), retryInterval: 1000 } : {}),
      onsessioninitialized: (id) => {
        sessionId = id;
        registered = true;
        opening--;
        sessions.set(id, {
          transport,
          lastSeen: Date.now(),
          active: 0,
          client,
          close: async () => {
            await transport.close().catch(() => undefined);
            await server.close().catch(() => undefined);
          },
        });
      },
      onsessionclosed: (id) => {
        dropSession(id);
      },
    });
    transport.onclose = () => {
      if (sessionId) dropSession(sessionId);
    };
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
    } finally {
      if (!registered) {
        // Initialization failed: give the reserved slot back and free the server.
        opening--;
        release(client);
        await server.close().catch(() => undefined);
      }
    }
  }

  const dashboard = createDashboard(app, { token: options.token });
  let meshNode: ReturnType<NonNullable<App['mesh']>['httpHandler']> | undefined;
  const meshMaxBody = Math.ceil((app.config.mesh.worker.maxUnitBytes * 4) / 3) + 256 * 1024;

  /**
   * `/mesh`: peer-to-peer unit traffic. Every call there is authenticated by a signature from a
   * trusted node key, so neither the Host allowlist nor the bearer token applies; browsers (any
   * request with an Origin) are refused outright.
   */
  async function handleMesh(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.headers.origin !== undefined) return rpcError(res, 403, -32000, 'Forbidden: the mesh endpoint takes no browser requests.');
    const mesh = app.mesh;
    if (!mesh) return sendJson(res, 404, { error: 'This node has no mesh configured (see README "Mesh").' });
    if (shuttingDown) return rpcError(res, 503, -32000, 'Server is shutting down.', { connection: 'close' });
    if (req.method !== 'POST') return rpcError(res, 405, -32000, 'Method not allowed: the mesh endpoint takes POST only.', { allow: 'POST' });
    if (Number(req.headers['content-length'] ?? 0) > meshMaxBody) return rejectOversize(req, res, meshMaxBody);
    let raw: Buffer;
    try {
      raw = await readBody(req, meshMaxBody);
    } catch {
      return rejectOversize(req, res, meshMaxBody);
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return rpcError(res, 400, -32700, 'Parse error: the request body is not valid JSON.');
    }
    meshNode ??= mesh.httpHandler(meshMaxBody);
    return meshNode(req, res, body);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/mesh') return handleMesh(req, res);
    const hostHeader = req.headers.host;
    const hostname = hostHeader === undefined ? undefined : hostnameOf(hostHeader);
    if (hostHeader !== undefined && hostname === undefined) {
      return rpcError(
        res,
        400,
        -32600,
        'Bad request: the Host header is malformed (use a name or IPv4 address, or an IPv6 address in brackets, with an optional :port).',
      );
    }
    if (!hostname || !allowedHosts.has(hostname)) {
      log.warn('rejected request with a foreign Host header', {
        host: quoteInput(hostHeader ?? '(none)', 100),
      });
      return rpcError(
        res,
        403,
        -32000,
        'Forbidden: Host header not allowed (DNS-rebinding protection). Add the name to server.allowedHosts if it is yours.',
      );
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !isAllowedOrigin(origin, allowedHosts, cfg.allowedOrigins)) {
      log.warn('rejected request with a foreign Origin', { origin });
      return rpcError(
        res,
        403,
        -32000,
        'Forbidden: Origin not allowed. Add it to server.allowedOrigins if it is yours.',
      );
    }
    // The dashboard checks the token itself: a browser presents it as a cookie for /ui.
    if (dashboard.handles(url.pathname, req)) return dashboard.handle(req, res, url);
    if (options.token) {
      const auth = req.headers.authorization ?? '';
      const presented = /^Bearer\s+(.+)$/i.exec(auth)?.[1]?.trim();
      if (!presented || !tokenMatches(presented, options.token)) {
        return rpcError(res, 401, -32001, 'Unauthorized: send Authorization: Bearer <token>.', {
          'www-authenticate': 'Bearer realm="prechew"',
        });
      }
    }
    if (url.pathname === '/healthz' && req.method === 'GET') {
      return sendJson(res, 200, { status: shuttingDown ? 'shutting-down' : 'ok', name: 'prechew' });
    }
    if (url.pathname !== '/mcp') return sendJson(res, 404, { error: 'Not found: the MCP endpoint is /mcp' });
    if (shuttingDown) return rpcError(res, 503, -32000, 'Server is shutting down.', { connection: 'close' });
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > cfg.maxBodyBytes) return rejectOversize(req, res, cfg.maxBodyBytes);

    const sessionHeader = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(sessionHeader) ? sessionHeader[0] : sessionHeader;
    if (req.method === 'POST') {
      let raw: Buffer;
      try {
        raw = await readBody(req, cfg.maxBodyBytes);
      } catch {
        return rejectOversize(req, res, cfg.maxBodyBytes);
      }
      const text = raw.toString('utf8');
      if (jsonNestingDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
        return rpcError(
          res,
          400,
          -32600,
          `Invalid request: JSON nested deeper than ${MAX_JSON_DEPTH} levels.`,
        );
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        return rpcError(res, 400, -32700, 'Parse error: the request body is not valid JSON.');
      }
      if (sessionId) {
        const session = sessions.get(sessionId);
        if (!session)
          return rpcError(
            res,
            404,
            -32001,
            'Session not found: it expired or the server restarted. Initialize a new session.',
          );
        trackActivity(session, res);
        return session.transport.handleRequest(req, res, body);
      }
      if (cfg.sessions && isInitialize(body)) return openSession(req, res, body);
      return modernNode(req, res, body);
    }
    if (sessionId && (req.method === 'GET' || req.method === 'DELETE')) {
      const session = sessions.get(sessionId);
      if (!session)
        return rpcError(res, 404, -32001, 'Session not found: it expired or the server restarted.');
      trackActivity(session, res);
      return session.transport.handleRequest(req, res);
    }
    return modernNode(req, res);
  }

  // Receiving a request (headers and body) is time-limited so slow-body connections cannot pile up;
  // the response is not, so long tool calls and SSE streams are never cut.
  const requestTimeout = cfg.requestTimeoutMs;
  const headersTimeout = Math.min(cfg.headersTimeoutMs, requestTimeout);
  const server = http.createServer(
    {
      requestTimeout,
      headersTimeout,
      keepAliveTimeout: cfg.keepAliveTimeoutMs,
      // Node checks the timeouts on this interval; keep it well below the smallest one.
      connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(headersTimeout / 4))),
    },
    (req, res) => {
      // Only tool calls (POST) hold shutdown back; GET listen streams are closed with their sessions.
      if (req.method === 'POST') {
        inFlight.add(res);
        res.once('close', () => inFlight.delete(res));
      }
      handle(req, res).catch((error: unknown) => {
        log.error('unhandled error in HTTP handler', { error });
        rpcError(res, 500, -32603, 'Internal server error.');
      });
    },
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new PrechewError(
          'CONFIG_INVALID',
          error.code === 'EADDRINUSE'
            ? `Port ${options.port} on ${options.host} is already in use. Pick another with --port, or stop the other process.`
            : `Cannot listen on ${options.host}:${options.port}: ${error.code ?? error.message}`,
        ),
      );
    });
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${advertisedHost(options.host)}:${address.port}/mcp`;

  return {
    url,
    port: address.port,
    async close() {
      if (shuttingDown) return;
      shuttingDown = true;
      clearInterval(sweep);
      dashboard.close();
      server.close();
      server.closeIdleConnections();
      // Let in-flight calls finish within the grace period, then cancel what remains.
      const deadline = Date.now() + cfg.shutdownGraceMs;
      while (inFlight.size > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      await modern.close().catch(() => undefined);
      await Promise.all([...sessions.values()].map((s) => s.close()));
      sessions.clear();
      for (const res of inFlight) res.destroy();
      server.closeAllConnections();
    },
  };
}
