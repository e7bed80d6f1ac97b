import { existsSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectHttp, repoRoot } from '../helpers/cli.js';
import { makeNode, setPeers, startNode, trust, type MeshNode } from '../helpers/mesh-nodes.js';

// The dashboard in real Chromium (Debian's package, driven by playwright-core) against real nodes:
// a requester that offloads units to a trusted worker, both `prechew serve --http` children.
// Screenshots go to docs/screenshots/ (the README shows one).

const CHROMIUM = process.env.PRECHEW_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`dashboard browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set PRECHEW_CHROMIUM)`);
const SCREENSHOTS = path.join(repoRoot, 'docs', 'screenshots');
const TOKEN = 'dashboard-test-token-0123456789';

// About 2 MB of tickets with emails: extract-entities cuts it into units for this node and the worker.
const bigText = Array.from({ length: 22_000 }, (_, i) => `Ticket ${i}: write to user${i}@example.org about order ${i * 7}, or to team${i % 50}@example.com.\n`).join('\n');

function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  return problems;
}

describe.skipIf(!haveChromium)('dashboard in real Chromium', { timeout: 240_000 }, () => {
  let browser: Browser;
  let worker: MeshNode;
  let requester: MeshNode;
  let locked: MeshNode;
  let foreign: http.Server;

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    worker = await makeNode('worker-ui', { accept: 'always', worker: { maxConcurrent: 2 } });
    // The requester keeps its result cache: the page shows its hit rate.
    requester = await makeNode('desk', { offload: 'auto' }, { data: { cache: true } });
    locked = await makeNode('locked', {});
    await trust(worker, requester);
    await trust(requester, worker);
    await startNode(worker);
    setPeers(requester, worker);
    await startNode(requester);
    await startNode(locked, [], { PRECHEW_TOKEN: TOKEN });
    // A page from a foreign origin that tries to read the dashboard's data.
    foreign = http.createServer((req, res) => {
      const target = new URL(req.url ?? '/', 'http://x').searchParams.get('target') ?? '';
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(
        `<!doctype html><title>foreign</title><script>fetch(${JSON.stringify(target)}).then((r) => r.text()).then((t) => { document.title = 'read ' + t.length; }, () => { document.title = 'blocked'; });</script>`,
      );
    });
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--host-resolver-rules=MAP evil.example 127.0.0.1'] });
  });

  afterAll(async () => {
    await browser?.close();
    foreign?.close();
    for (const n of [requester, worker, locked]) await n?.server?.stop('SIGKILL');
  });

  it('loads without console errors, shows the worker as a peer, and updates live while a job runs across both nodes', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    const problems = watchConsole(page);
    const response = await page.goto(`http://127.0.0.1:${requester.server!.port}/ui`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toMatch(/default-src 'none'/);
    await page.locator('#status.live').waitFor({ timeout: 20_000 });
    await expect.poll(() => page.locator('#node-fingerprint').textContent()).toBe(requester.fingerprint);
    // The worker answers the requester's signed status checks: reachable, accepting, with free slots.
    const peerRow = page.locator('tr[data-peer="worker-ui"]');
    await peerRow.waitFor({ timeout: 30_000 });
    await expect.poll(() => peerRow.locator('td').nth(2).textContent(), { timeout: 30_000 }).toBe('yes');
    expect(await peerRow.locator('td').nth(1).textContent()).toBe(worker.fingerprint);
    expect(await peerRow.locator('td').nth(4).textContent()).toBe('yes');
    expect(await page.locator('#calls-total').textContent()).toBe('0');
    const updatesBefore = Number(await page.locator('body').getAttribute('data-updates'));

    const client = await connectHttp(requester.server!.url);
    try {
      const r = await client.callTool({ name: 'extract-entities', arguments: { text: bigText, types: ['email'], offload: 'auto' } }, { timeout: 180_000 });
      expect(r.isError ?? false).toBe(false);
      // Calls that save tokens (the second from the cache) and one that fails, for the cards and the errors table.
      const condense = { name: 'condense', arguments: { sources: [{ text: bigText.slice(0, 200_000) }], query: 'orders for team7', budgetTokens: 400 } };
      for (let i = 0; i < 2; i++) expect((await client.callTool(condense)).isError ?? false).toBe(false);
      expect((await client.callTool({ name: 'dedupe', arguments: { text: bigText.slice(0, 50_000), split: 'lines', mode: 'exact' } })).isError ?? false).toBe(false);
      expect((await client.callTool({ name: 'summarize', arguments: { text: '' } })).isError).toBe(true);
    } finally {
      await client.close();
    }
    // Pushed over SSE, no reload: the call, its units on the worker, and the worker's own counter.
    await expect.poll(() => page.locator('#calls-total').textContent(), { timeout: 15_000 }).toBe('5');
    await expect.poll(() => page.locator('#calls-failed').textContent(), { timeout: 15_000 }).toBe('1 failed');
    expect(Number((await page.locator('#tokens-saved').textContent())!.replace(/,/g, ''))).toBeGreaterThan(10_000);
    expect(await page.locator('#usd-saved').textContent()).toMatch(/^\$0?\.\d*[1-9]/);
    expect(await page.locator('#cache-rate').textContent()).toMatch(/^[1-9]\d*%$/);
    expect(await page.locator('#errors tbody tr td').first().textContent()).toBe('INVALID_INPUT');
    await expect.poll(() => page.locator('#units-detail').textContent(), { timeout: 15_000 }).toMatch(/worker-ui [1-9]/);
    await expect.poll(() => peerRow.locator('td').nth(6).textContent(), { timeout: 20_000 }).toMatch(/^[1-9]\d* \/ 0$/);
    expect(Number(await page.locator('body').getAttribute('data-updates'))).toBeGreaterThan(updatesBefore);
    // The page showed the call while it ran.
    expect(await page.evaluate(() => (globalThis as unknown as { prechewDashboard: { seenJobs: string[] } }).prechewDashboard.seenJobs)).toContain('extract-entities');
    // Both charts drew (uPlot canvases), with the worker in the units legend.
    expect(await page.locator('#chart-units canvas').count()).toBe(1);
    expect(await page.locator('#chart-savings canvas').count()).toBe(1);
    expect(await page.locator('#chart-units .u-legend').textContent()).toContain('worker-ui');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'dashboard.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();

    // The worker's own dashboard: it accepts units, and shows the ones it ran for the requester.
    const workerPage = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    const workerProblems = watchConsole(workerPage);
    await workerPage.goto(`http://127.0.0.1:${worker.server!.port}/ui`);
    await workerPage.locator('#status.live').waitFor({ timeout: 20_000 });
    expect(await workerPage.locator('#consent').textContent()).toMatch(/^accepting units · mode always/);
    expect(await workerPage.locator('#worker-units').textContent()).toMatch(/^[1-9]\d* done, 0 failed$/);
    expect(await workerPage.locator('#chart-units .u-legend').textContent()).toContain('this node, for peers');
    await workerPage.screenshot({ path: path.join(SCREENSHOTS, 'dashboard-worker.png'), fullPage: true });
    expect(workerProblems).toEqual([]);
    await workerPage.close();
  });

  it('rejects a foreign Origin and a foreign Host (DNS rebinding)', async () => {
    const port = requester.server!.port;
    const page = await browser.newPage();
    const target = `http://127.0.0.1:${port}/ui/api/state`;
    const statuses: number[] = [];
    page.on('response', (r) => {
      if (r.url() === target) statuses.push(r.status());
    });
    await page.goto(`http://evil.example:${(foreign.address() as AddressInfo).port}/?target=${encodeURIComponent(target)}`);
    await expect.poll(() => page.title(), { timeout: 15_000 }).toBe('blocked');
    // The server refused it for its Origin (it never reached the dashboard), whatever the browser's own CORS verdict.
    await expect.poll(() => requester.server!.stderr(), { timeout: 5000 }).toMatch(/rejected request with a foreign Origin.*evil\.example/);
    expect(statuses.every((s) => s === 403)).toBe(true);
    // A name that resolves to this machine but is not one of the server's own: refused before anything is served.
    const rebound = await page.goto(`http://evil.example:${port}/ui`);
    expect(rebound?.status()).toBe(403);
    expect(await page.content()).toMatch(/Host header not allowed/);
    await page.close();
  });

  it('with an auth token: 401 without it; ?token= once sets a /ui-only cookie and drops the token from the address', async () => {
    const base = `http://127.0.0.1:${locked.server!.port}`;
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems = watchConsole(page);
    const denied = await page.goto(`${base}/ui`);
    expect(denied?.status()).toBe(401);
    expect(await page.content()).toMatch(/ui\?token=/);
    // The browser logs that 401 (and one for the favicon it then asks for) when it gets to it,
    // possibly after this point: 401s are checked by URL below instead of by console text.
    const refusedAfterExchange: string[] = [];
    page.on('response', (r) => {
      if (r.status() === 401 && r.url().startsWith(`${base}/ui`) && !r.url().includes('token=')) refusedAfterExchange.push(r.url());
    });
    const ok = await page.goto(`${base}/ui?token=${TOKEN}`);
    expect(ok?.status()).toBe(200);
    expect(page.url()).toBe(`${base}/ui`);
    await page.locator('#status.live').waitFor({ timeout: 20_000 });
    const cookies = await context.cookies();
    expect(cookies).toEqual([expect.objectContaining({ name: 'prechew_ui', path: '/ui', httpOnly: true, sameSite: 'Strict' })]);
    expect(cookies[0]!.value).not.toContain(TOKEN);
    expect(problems.filter((p) => !/status of 401/.test(p))).toEqual([]);
    expect(refusedAfterExchange).toEqual([]);
    // The cookie opens the dashboard only: /mcp still wants the bearer token.
    const cookie = `prechew_ui=${cookies[0]!.value}`;
    expect((await fetch(`${base}/ui/api/state`, { headers: { cookie } })).status).toBe(200);
    const mcp = await fetch(`${base}/mcp`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(mcp.status).toBe(401);
    expect((await fetch(`${base}/ui/api/state`, { headers: { cookie: 'prechew_ui=forged' } })).status).toBe(401);
    expect((await fetch(`${base}/ui?token=wrong-token-0000000000`)).status).toBe(401);
    // A browser opening the bare address is sent to the dashboard; anything else at / still needs the token.
    const home = await fetch(`${base}/`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect([home.status, home.headers.get('location')]).toEqual([302, '/ui']);
    expect((await fetch(`${base}/`)).status).toBe(401);
    expect((await fetch(`${base}/ui/api/state`, { method: 'POST', headers: { cookie } })).status).toBe(405);
    await context.close();
  });
});
