/**
 * Issue #14 (1): over HTTP any local user can connect, so the roots a client announces may only
 * narrow the configured roots, never widen them. The client runs as another OS user (nobody)
 * when this test runs as root, like the attack it guards against.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startHttpChild, type HttpChild } from '../helpers/cli.js';
import { tempDir } from '../helpers/app.js';

const clientModule = pathToFileURL(
  createRequire(import.meta.url).resolve('@modelcontextprotocol/client'),
).href;

/** A client script any user can run: announces the given roots, calls extract-entities on a path, prints the outcome. */
function writeClientScript(): string {
  const dir = tempDir('prechew-roots-client-');
  chmodSync(dir, 0o755);
  const file = path.join(dir, 'client.mjs');
  writeFileSync(
    file,
    `const { Client, StreamableHTTPClientTransport } = await import(${JSON.stringify(clientModule)});
const [url, roots, target] = process.argv.slice(2);
const client = new Client({ name: 'roots-attacker', version: '1' }, { capabilities: { roots: {} } });
client.setRequestHandler('roots/list', async () => ({ roots: JSON.parse(roots).map((uri) => ({ uri, name: uri })) }));
await client.connect(new StreamableHTTPClientTransport(new URL(url)));
const r = await client.callTool({ name: 'extract-entities', arguments: { path: target } });
process.stdout.write(JSON.stringify({ uid: process.getuid(), isError: r.isError === true, text: r.content?.[0]?.text ?? '' }));
await client.close();
process.exit(0);
`,
  );
  chmodSync(file, 0o644);
  return file;
}

const asRoot = process.getuid?.() === 0;

/** Run the client script as user nobody when we are root (otherwise as ourselves, with a printed reason). */
function runClient(
  script: string,
  url: string,
  roots: string[],
  target: string,
): Promise<{ uid: number; isError: boolean; text: string }> {
  const args = [script, url, JSON.stringify(roots), target];
  const child = asRoot
    ? spawn('runuser', ['-u', 'nobody', '--', process.execPath, ...args])
    : spawn(process.execPath, args);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`client exited ${code}: ${err}`));
      resolve(JSON.parse(out) as { uid: number; isError: boolean; text: string });
    });
  });
}

describe('client roots over HTTP never widen the configured roots', () => {
  const servers: HttpChild[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });
  if (!asRoot)
    console.log(
      'hardening-roots: not running as root, so the client runs as the same user (cannot switch to nobody)',
    );

  const secretDir = tempDir('prechew-owner-only-');
  const secret = path.join(secretDir, 'secret.txt');
  writeFileSync(secret, 'Owner only: call alice@example.com', { mode: 0o600 });
  const script = writeClientScript();

  it('a server started with no roots reads nothing, whatever roots a client announces', async () => {
    const server = await startHttpChild();
    servers.push(server);
    const r = await runClient(script, server.url, ['file:///'], secret);
    if (asRoot) expect(r.uid).not.toBe(0);
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/NO_ROOTS/);
    expect(r.text).not.toContain('alice@example.com');
  });

  it('with a configured root, an announced file:/// still only reaches inside that root', async () => {
    const root = tempDir('prechew-operator-root-');
    mkdirSync(path.join(root, 'sub'));
    writeFileSync(path.join(root, 'sub', 'ok.txt'), 'Inside: bob@example.org');
    const server = await startHttpChild(['--root', root]);
    servers.push(server);
    const outside = await runClient(script, server.url, ['file:///', pathToFileURL(secretDir).href], secret);
    expect(outside.isError).toBe(true);
    expect(outside.text).toMatch(/PATH_OUTSIDE_ROOTS/);
    const inside = await runClient(
      script,
      server.url,
      [pathToFileURL(path.join(root, 'sub')).href],
      path.join(root, 'sub', 'ok.txt'),
    );
    expect(inside.isError).toBe(false);
    expect(inside.text).toContain('bob@example.org');
  });
});
