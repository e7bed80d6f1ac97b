/**
 * Issue #14 (4, 5, 6, 7, 9): session caps and idle expiry, request timeouts for slow bodies,
 * FIFO paths, a wildcard bind that works, and malformed input that gets 400 instead of 500. All
 * against the real CLI as a child process, with bounded loops on loopback.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHttp, startHttpChild, type HttpChild, INIT, JSON_HEADERS } from '../helpers/cli.js';
import { tempDir } from '../helpers/app.js';


interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One raw HTTP request (lets us forge Host and pick the local address); reads the body only when asked. */
function rawRequest(
  port: number,
  options: {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
    localAddress?: string;
    readBody?: boolean;
    host?: string;
  } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: options.host ?? '127.0.0.1',
        port,
        path: options.path ?? '/mcp',
        method: options.method ?? 'POST',
        headers: { ...JSON_HEADERS, ...options.headers },
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
        agent: false,
      },
      (res) => {
        let body = '';
        if (options.readBody === false) {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
          res.destroy();
          return;
        }
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body ?? '');
  });
}

async function openSession(port: number, localAddress?: string): Promise<RawResponse> {
  return rawRequest(port, {
    body: JSON.stringify(INIT),
    readBody: false,
    ...(localAddress ? { localAddress } : {}),
  });
}

function writeConfig(server: Record<string, unknown>): string {
  const dir = tempDir('prechew-hardening-config-');
  const file = path.join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ server }));
  return file;
}

describe('session limits and idle expiry', () => {
  let server: HttpChild;
  beforeAll(async () => {
    server = await startHttpChild([
      '--config',
      writeConfig({ maxSessions: 6, maxSessionsPerClient: 4, sessionIdleMs: 1500 }),
    ]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('caps sessions per client address (429) and in total (503), then frees idle ones', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await openSession(server.port);
      expect(r.status).toBe(200);
      ids.push(String(r.headers['mcp-session-id']));
    }
    const fifth = await rawRequest(server.port, { body: JSON.stringify(INIT) });
    expect(fifth.status).toBe(429);
    expect(JSON.parse(fifth.body)).toMatchObject({
      jsonrpc: '2.0',
      error: { message: expect.stringMatching(/maxSessionsPerClient/) },
    });
    // Another loopback address is another client: it gets the rest of the total budget, then 503.
    for (let i = 0; i < 2; i++) expect((await openSession(server.port, '127.0.0.2')).status).toBe(200);
    const overTotal = await rawRequest(server.port, {
      body: JSON.stringify(INIT),
      localAddress: '127.0.0.3',
    });
    expect(overTotal.status).toBe(503);
    expect(JSON.parse(overTotal.body)).toMatchObject({
      error: { message: expect.stringMatching(/maxSessions/) },
    });
    // Closing a session gives its slot back at once.
    const del = await rawRequest(server.port, { method: 'DELETE', headers: { 'mcp-session-id': ids[0]! } });
    expect(del.status).toBeLessThan(300);
    expect((await openSession(server.port)).status).toBe(200);
    // Idle sessions expire (sessionIdleMs 1500): bounded wait until a new session is accepted again.
    let accepted = 0;
    for (let i = 0; i < 40 && accepted === 0; i++) {
      await new Promise((r) => setTimeout(r, 250));
      const r = await rawRequest(server.port, {
        body: JSON.stringify(INIT),
        readBody: false,
        localAddress: '127.0.0.3',
      });
      if (r.status === 200) accepted++;
    }
    expect(accepted).toBe(1);
    const expired = await rawRequest(server.port, {
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
      headers: { 'mcp-session-id': ids[1]! },
    });
    expect(expired.status).toBe(404);
  }, 60_000);
});

describe('request timeouts', () => {
  let server: HttpChild;
  beforeAll(async () => {
    server = await startHttpChild([
      '--config',
      writeConfig({
        requestTimeoutMs: 1500,
        headersTimeoutMs: 1000,
        keepAliveTimeoutMs: 1000,
        sessionIdleMs: 1000,
      }),
    ]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('closes slow-body connections, but not a long SSE stream or the calls after it', async () => {
    // A few slow-body sockets: headers promise 1,000 bytes, then one byte every 300 ms.
    const slow = Array.from({ length: 4 }, () => {
      const socket = net.connect(server.port, '127.0.0.1');
      let received = '';
      socket.on('data', (d: Buffer) => (received += d.toString()));
      socket.on('error', () => undefined);
      const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(received)));
      socket.write(
        `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`,
      );
      const drip = setInterval(() => socket.write('{'), 300);
      return { socket, closed, drip };
    });
    // A legitimate SSE listen stream of a session, held open longer than the request timeout and the idle limit.
    const init = await openSession(server.port);
    const sessionId = String(init.headers['mcp-session-id']);
    const sessionHeaders = { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    const initialized = await rawRequest(server.port, {
      headers: sessionHeaders,
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    });
    expect(initialized.status).toBe(202);
    const stream = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: server.port,
          path: '/mcp',
          method: 'GET',
          headers: { accept: 'text/event-stream', ...sessionHeaders },
          agent: false,
        },
        resolve,
      );
      req.on('error', reject);
      req.end();
    });
    expect(stream.statusCode).toBe(200);
    let streamEnded = false;
    stream.on('close', () => (streamEnded = true));
    stream.resume();
    try {
      // Bounded wait for the slow sockets to be cut (the server answers 408 and closes).
      const results = await Promise.race([
        Promise.all(slow.map((s) => s.closed)),
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 20_000)),
      ]);
      expect(results).toBeDefined();
      for (const text of results!) expect(text).toMatch(/^HTTP\/1\.1 408/);
      await new Promise((r) => setTimeout(r, 1500));
      expect(streamEnded).toBe(false);
      // The session survived its idle limit while the stream was open, and still answers.
      const list = await rawRequest(server.port, {
        headers: sessionHeaders,
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
      });
      expect(list.status).toBe(200);
      expect(list.body).toContain('extract-entities');
    } finally {
      for (const s of slow) {
        clearInterval(s.drip);
        s.socket.destroy();
      }
      stream.destroy();
    }
  }, 60_000);
});

describe('malformed input gets 400 and short errors', () => {
  let server: HttpChild;
  beforeAll(async () => {
    server = await startHttpChild();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers malformed Host values with 400', async () => {
    for (const host of ['::1', '[::1]evil.com', '[::1', 'a b']) {
      const r = await rawRequest(server.port, { headers: { host }, body: JSON.stringify(INIT) });
      expect(r.status, host).toBe(400);
      expect(JSON.parse(r.body)).toMatchObject({
        jsonrpc: '2.0',
        error: { message: expect.stringMatching(/Host/) },
      });
    }
    const ok = await rawRequest(server.port, {
      headers: { host: `[::1]:${server.port}` },
      body: JSON.stringify(INIT),
      readBody: false,
    });
    expect(ok.status).toBe(200);
  });

  it('answers 100k-deep JSON with 400', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const r = await rawRequest(server.port, { body: deep });
    expect(r.status).toBe(400);
    const deepInArgs = JSON.stringify({
      jsonrpc: '2.0',
      id: 3,
      method: 'tools/call',
      params: { name: 'dedupe', arguments: {} },
    }).replace('{}', '{"items":' + '['.repeat(50_000) + ']'.repeat(50_000) + '}');
    expect((await rawRequest(server.port, { body: deepInArgs })).status).toBe(400);
    // The server is still healthy afterwards.
    expect((await rawRequest(server.port, { method: 'GET', path: '/healthz' })).status).toBe(200);
  });

  it('does not echo a 1 MB invalid cursor back whole', async () => {
    const client = await connectHttp(server.url, { modern: true });
    try {
      const r = await client.callTool({ name: 'dedupe', arguments: { cursor: 'c'.repeat(1024 * 1024) } });
      expect(r.isError).toBe(true);
      const text = (r.content as Array<{ text: string }>)[0]!.text;
      expect(text).toMatch(/cursor/i);
      expect(text.length).toBeLessThan(4000);
    } finally {
      await client.close();
    }
  });
});

describe('FIFO paths through the server', () => {
  it('fail fast; the server still reads files and exits 0 on SIGTERM', async () => {
    const root = tempDir('prechew-fifo-root-');
    execFileSync('mkfifo', [path.join(root, 'pipe')]);
    writeFileSync(path.join(root, 'ok.txt'), 'Mail carol@example.net');
    const server = await startHttpChild(['--root', root]);
    const client = await connectHttp(server.url);
    try {
      // More calls than the threadpool has threads: one blocked open() each would starve the pool.
      for (let i = 0; i < 6; i++) {
        const r = await client.callTool({ name: 'extract-entities', arguments: { path: 'pipe' } });
        expect(r.isError).toBe(true);
        expect((r.content as Array<{ text: string }>)[0]!.text).toMatch(/NOT_A_FILE/);
      }
      const ok = await client.callTool({ name: 'extract-entities', arguments: { path: 'ok.txt' } });
      expect(ok.isError).toBeFalsy();
      expect(JSON.stringify(ok.structuredContent)).toContain('carol@example.net');
    } finally {
      await client.close();
    }
    expect(await server.stop('SIGTERM')).toBe(0);
  }, 60_000);
});

describe('wildcard bind', () => {
  it('prints a reachable URL and accepts the machine’s own addresses', async () => {
    const token = 'wildcard-token-0123456789';
    const server = await startHttpChild(['--host', '0.0.0.0'], { PRECHEW_TOKEN: token });
    try {
      const printed = new URL(server.url);
      expect(printed.hostname).not.toBe('0.0.0.0');
      const own = Object.values(os.networkInterfaces()).flatMap((l) => (l ?? []).map((a) => a.address));
      expect(own).toContain(printed.hostname);
      const viaLoopback = await connectHttp(`http://127.0.0.1:${server.port}/mcp`, { token });
      expect((await viaLoopback.listTools()).tools.length).toBeGreaterThan(2);
      await viaLoopback.close();
      const external = Object.values(os.networkInterfaces())
        .flatMap((l) => l ?? [])
        .find((a) => !a.internal && a.family === 'IPv4');
      if (!external) {
        console.log(
          'wildcard bind: this machine has no non-loopback IPv4 address; only the loopback path was tested',
        );
        return;
      }
      // The printed URL and the LAN address both work (traffic stays on this machine).
      for (const url of [server.url, `http://${external.address}:${server.port}/mcp`]) {
        const client = await connectHttp(url, { token });
        expect((await client.listTools()).tools.length).toBeGreaterThan(2);
        await client.close();
      }
      const noToken = await rawRequest(server.port, {
        host: external.address,
        headers: { host: `${external.address}:${server.port}` },
        body: JSON.stringify(INIT),
      });
      expect(noToken.status).toBe(401);
    } finally {
      await server.stop();
    }
  }, 60_000);
});
