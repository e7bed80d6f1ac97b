/**
 * Streamable HTTP at /mcp. Guards run before the SDK sees a request, in this order:
 * Host → Origin (DNS-rebinding protection, 403) → bearer token (401, constant-time) → body size
 * (413). Modern (2026-07-28) requests and stateless 2025 requests go to createMcpHandler;
 * 2025-era clients that initialize get a session with resumable SSE.
 */
import http from 'node:http';
import { randomUUID, timingSafeEqual, createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createMcpHandler, type EventStore, type JSONRPCMessage } from '@modelcontextprotocol/server';
import { NodeStreamableHTTPServerTransport, toNodeHandler } from '@modelcontextprotocol/node';
import type { App } from '../app.js';
import { isLoopbackHost, type ServerConfig } from '../config.js';
import { PrechewError } from '../errors.js';
import { log } from '../log.js';
import { createMcpServer } from '../server.js';

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

/** Bounded in-memory event store so 2025-era clients can resume an SSE stream after a drop. */
class MemoryEventStore implements EventStore {
  private readonly events = new Map<string, { streamId: string; message: JSONRPCMessage }>();
  constructor(private readonly max = 2000) {}
  async storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    const id = `${streamId}_${randomUUID()}`;
    this.events.set(id, { streamId, message });
    while (this.events.size > this.max) this.events.delete(this.events.keys().next().value!);
    return id;
  }
  async getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    return this.events.get(eventId)?.streamId;
  }
  async replayEventsAfter(lastEventId: string, { send }: { send: (id: string, m: JSONRPCMessage) => Promise<void> }): Promise<string> {
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

function hostnameOf(hostHeader: string): string {
  // "[::1]:7777" → "::1"; "localhost:7777" → "localhost"
  if (hostHeader.startsWith('[')) return hostHeader.slice(1, hostHeader.indexOf(']')).toLowerCase();
  const i = hostHeader.lastIndexOf(':');
  return (i > -1 && hostHeader.indexOf(':') === i ? hostHeader.slice(0, i) : hostHeader).toLowerCase();
}

export function buildHostAllowlist(bindHost: string, extra: string[]): Set<string> {
  const set = new Set(['localhost', '127.0.0.1', '::1', ...extra.map((h) => h.toLowerCase())]);
  if (bindHost !== '0.0.0.0' && bindHost !== '::') set.add(bindHost.toLowerCase().replace(/^\[|\]$/g, ''));
  return set;
}

export function isAllowedOrigin(origin: string, allowedHosts: Set<string>, allowedOrigins: string[]): boolean {
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

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function rpcError(res: http.ServerResponse, status: number, code: number, message: string, headers?: Record<string, string>): void {
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
  const check = (m: unknown) => typeof m === 'object' && m !== null && (m as { method?: unknown }).method === 'initialize';
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
  const factory = () => createMcpServer(app);
  const modern = createMcpHandler(factory, {
    legacy: 'stateless',
    maxRequestBodySize: cfg.maxBodyBytes,
    onerror: (error) => log.debug('http handler error', { error }),
  });
  const modernNode = toNodeHandler(modern);

  interface Session {
    transport: NodeStreamableHTTPServerTransport;
    lastSeen: number;
    close: () => Promise<void>;
  }
  const sessions = new Map<string, Session>();
  const inFlight = new Set<http.ServerResponse>();
  let shuttingDown = false;

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [id, s] of sessions) {
      if (now - s.lastSeen > cfg.sessionIdleMs) {
        sessions.delete(id);
        void s.close();
      }
    }
  }, 60_000);
  sweep.unref();

  async function openSession(req: http.IncomingMessage, res: http.ServerResponse, body: unknown): Promise<void> {
    const server = factory();
    let sessionId: string | undefined;
    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      eventStore: new MemoryEventStore(),
      retryInterval: 1000,
      onsessioninitialized: (id) => {
        sessionId = id;
        sessions.set(id, {
          transport,
          lastSeen: Date.now(),
          close: async () => {
            await transport.close().catch(() => undefined);
            await server.close().catch(() => undefined);
          },
        });
      },
      onsessionclosed: (id) => {
        sessions.delete(id);
      },
    });
    transport.onclose = () => {
      if (sessionId) sessions.delete(sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

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
    if (!hostHeader || !allowedHosts.has(hostnameOf(hostHeader))) {
      log.warn('rejected request with a foreign Host header', { host: hostHeader ?? '(none)' });
      return rpcError(res, 403, -32000, 'Forbidden: Host header not allowed (DNS-rebinding protection). Add the name to server.allowedHosts if it is yours.');
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !isAllowedOrigin(origin, allowedHosts, cfg.allowedOrigins)) {
      log.warn('rejected request with a foreign Origin', { origin });
      return rpcError(res, 403, -32000, 'Forbidden: Origin not allowed. Add it to server.allowedOrigins if it is yours.');
    }
    if (options.token) {
      const auth = req.headers.authorization ?? '';
      const presented = /^Bearer\s+(.+)$/i.exec(auth)?.[1]?.trim();
      if (!presented || !tokenMatches(presented, options.token)) {
        return rpcError(res, 401, -32001, 'Unauthorized: send Authorization: Bearer <token>.', { 'www-authenticate': 'Bearer realm="prechew"' });
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
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        return rpcError(res, 400, -32700, 'Parse error: the request body is not valid JSON.');
      }
      if (sessionId) {
        const session = sessions.get(sessionId);
        if (!session) return rpcError(res, 404, -32001, 'Session not found: it expired or the server restarted. Initialize a new session.');
        session.lastSeen = Date.now();
        return session.transport.handleRequest(req, res, body);
      }
      if (cfg.sessions && isInitialize(body)) return openSession(req, res, body);
      return modernNode(req, res, body);
    }
    if (sessionId && (req.method === 'GET' || req.method === 'DELETE')) {
      const session = sessions.get(sessionId);
      if (!session) return rpcError(res, 404, -32001, 'Session not found: it expired or the server restarted.');
      session.lastSeen = Date.now();
      return session.transport.handleRequest(req, res);
    }
    return modernNode(req, res);
  }

  const server = http.createServer((req, res) => {
    // Only tool calls (POST) hold shutdown back; GET listen streams are closed with their sessions.
    if (req.method === 'POST') {
      inFlight.add(res);
      res.once('close', () => inFlight.delete(res));
    }
    handle(req, res).catch((error: unknown) => {
      log.error('unhandled error in HTTP handler', { error });
      rpcError(res, 500, -32603, 'Internal server error.');
    });
  });
  server.requestTimeout = 0; // long tool calls stream progress; the SDK handles keep-alive
  server.headersTimeout = 30_000;

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
  const hostForUrl = address.family === 'IPv6' || options.host.includes(':') ? `[${address.address}]` : options.host;
  const url = `http://${hostForUrl}:${address.port}/mcp`;

  return {
    url,
    port: address.port,
    async close() {
      if (shuttingDown) return;
      shuttingDown = true;
      clearInterval(sweep);
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
