import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHttp, runCli, startHttpChild, type HttpChild, INIT, JSON_HEADERS } from '../helpers/cli.js';


describe('Streamable HTTP transport (real child process)', () => {
  let server: HttpChild;

  beforeAll(async () => {
    server = await startHttpChild();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('binds loopback by default and prints how to connect', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(server.stderr()).toMatch(/mcpServers/);
  });

  it('serves 2025-era clients with a session', async () => {
    const client = await connectHttp(server.url);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['extract-entities', 'dedupe']));
    const r = await client.callTool({ name: 'dedupe', arguments: { items: ['A b c d e f.', 'a B c d e f', 'g h i'] } });
    expect((r.structuredContent as { stats: { itemsOut: number } }).stats.itemsOut).toBe(2);
    const res = await fetch(server.url, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(INIT) });
    expect(res.status).toBe(200);
    expect(res.headers.get('mcp-session-id')).toBeTruthy();
    await res.body?.cancel();
    await client.close();
  });

  it('resumable SSE only when server.resumableStreams is on: event ids (for Last-Event-ID) and a retry hint', async () => {
    const sse = async (url: string): Promise<string> => {
      const res = await fetch(url, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(INIT) });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
      return res.text();
    };
    const plain = await sse(server.url);
    expect(plain).toMatch(/"serverInfo"/);
    expect(plain).not.toMatch(/^id:/m);
    const resumable = await startHttpChild([], { PRECHEW_RESUMABLE_STREAMS: 'true' });
    try {
      const body = await sse(resumable.url);
      expect(body).toMatch(/"serverInfo"/);
      expect(body).toMatch(/^id: ?\S+/m);
      expect(body).toMatch(/^retry: ?1000/m);
    } finally {
      await resumable.stop();
    }
  });

  it('serves 2026-era clients (version negotiation) and streams progress', async () => {
    const client = await connectHttp(server.url, { modern: true });
    const updates: number[] = [];
    const items = Array.from({ length: 20_000 }, (_, i) => `line ${i} alpha beta gamma ${i % 50} delta ${i * 17}`);
    const r = await client.callTool({ name: 'dedupe', arguments: { items, includeText: false } }, { onprogress: (p) => updates.push(p.progress), timeout: 120_000 });
    expect(r.isError).toBeFalsy();
    expect(updates.length).toBeGreaterThan(0);
    const bad = await client.callTool({ name: 'extract-entities', arguments: { path: '/etc/passwd' } });
    expect(bad.isError).toBe(true);
    await client.close();
  });

  it('rejects a foreign Origin or Host with 403', async () => {
    const evilOrigin = await fetch(server.url, { method: 'POST', headers: { ...JSON_HEADERS, origin: 'http://evil.example.com' }, body: JSON.stringify(INIT) });
    expect(evilOrigin.status).toBe(403);
    const okOrigin = await fetch(server.url, { method: 'POST', headers: { ...JSON_HEADERS, origin: `http://localhost:${server.port}` }, body: JSON.stringify(INIT) });
    expect(okOrigin.status).toBe(200);
    await okOrigin.body?.cancel();
    // fetch() will not let us forge Host; use a raw request.
    const status = await new Promise<number>((resolve, reject) => {
      import('node:http')
        .then(({ request }) => {
          const req = request({ host: '127.0.0.1', port: server.port, path: '/mcp', method: 'POST', headers: { ...JSON_HEADERS, host: 'evil.example.com' } }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on('error', reject);
          req.end(JSON.stringify(INIT));
        })
        .catch(reject);
    });
    expect(status).toBe(403);
  });

  it('limits the request body size and rejects malformed JSON', async () => {
    const huge = JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'dedupe', arguments: { text: 'x'.repeat(5 * 1024 * 1024) } } });
    const res = await fetch(server.url, { method: 'POST', headers: JSON_HEADERS, body: huge });
    expect(res.status).toBe(413);
    const bad = await fetch(server.url, { method: 'POST', headers: JSON_HEADERS, body: '{not json' });
    expect(bad.status).toBe(400);
  });
});

describe('HTTP exposure rules', () => {
  it('refuses a non-loopback bind without a token', async () => {
    const r = await runCli(['serve', '--http', '--host', '0.0.0.0', '--port', '0']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/token/i);
  });

  it('requires the bearer token on every request when one is configured', async () => {
    const token = 'test-token-0123456789abcdef';
    const server = await startHttpChild(['--host', '0.0.0.0'], { PRECHEW_TOKEN: token, PRECHEW_ALLOWED_HOSTS: '127.0.0.1' });
    try {
      const url = `http://127.0.0.1:${server.port}/mcp`;
      const none = await fetch(url, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(INIT) });
      expect(none.status).toBe(401);
      const wrong = await fetch(url, { method: 'POST', headers: { ...JSON_HEADERS, authorization: 'Bearer nope' }, body: JSON.stringify(INIT) });
      expect(wrong.status).toBe(401);
      const client = await connectHttp(url, { token });
      const { tools } = await client.listTools();
      expect(tools.length).toBeGreaterThanOrEqual(2);
      await client.close();
      expect(server.stderr()).not.toContain(token);
    } finally {
      await server.stop();
    }
  });

  it('finishes an in-flight call on SIGTERM before exiting', async () => {
    const server = await startHttpChild();
    const client = await connectHttp(server.url);
    const items = Array.from({ length: 30_000 }, (_, i) => `Entry ${i}: ${'words that repeat a little '.repeat(4)} ${i * 13}`);
    let sawProgress!: () => void;
    const started = new Promise<void>((resolve) => (sawProgress = resolve));
    const call = client.callTool({ name: 'dedupe', arguments: { items, includeText: false } }, { onprogress: () => sawProgress(), timeout: 120_000 });
    await started;
    const exited = server.stop('SIGTERM');
    const result = await call;
    expect(result.isError).toBeFalsy();
    expect((result.structuredContent as { stats: { itemsIn: number } }).stats.itemsIn).toBe(30_000);
    expect(await exited).toBe(0);
  });

  it('shuts down cleanly on SIGTERM', async () => {
    const server = await startHttpChild();
    const client = await connectHttp(server.url);
    await client.listTools();
    const code = await server.stop('SIGTERM');
    expect(code).toBe(0);
    expect(server.stderr()).toMatch(/shutting down/);
  });
});
