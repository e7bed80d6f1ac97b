import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { candidateFromService, txtFor } from '../../src/mesh/mdns.js';
import { createNetnsPair, netnsSupport, type NetnsPair } from '../helpers/netns.js';

const root = path.resolve(import.meta.dirname, '../..');
const built = existsSync(path.join(root, 'dist/src/mesh/mdns.js'));
const why = netnsSupport() ?? (built ? undefined : 'dist/ is not built (npm test builds it first)');
if (why) process.stderr.write(`mesh-mdns: skipping the namespace test: ${why}\n`);

describe('mDNS records', () => {
  it('fits the kinds list into one TXT string without cutting a name', () => {
    const kinds = Array.from({ length: 40 }, (_, i) => `kind.number-${i}`);
    const txt = txtFor({ name: 'n', port: 1, fingerprint: 'ABCD-EFGH', version: '1', kinds });
    expect(Buffer.byteLength(`kinds=${txt.kinds ?? ''}`)).toBeLessThanOrEqual(255);
    expect((txt.kinds ?? '').split(',').every((k) => kinds.includes(k))).toBe(true);
  });

  it('builds a candidate from an answer, preferring the address it came from', () => {
    const c = candidateFromService({
      name: 'desk',
      port: 7777,
      addresses: ['fe80::1', '192.0.2.7'],
      referer: { address: '192.0.2.7' },
      txt: { fp: 'AAAA-BBBB', v: '0.2.0', kinds: 'a,b', path: '/mesh' },
    });
    expect(c).toMatchObject({
      source: 'mdns',
      url: 'http://192.0.2.7:7777/mesh',
      advertised: { fingerprint: 'AAAA-BBBB', kinds: ['a', 'b'] },
    });
    expect(candidateFromService({ name: 'x', port: 0 })).toBeUndefined();
  });
});

describe.skipIf(why !== undefined)('mDNS between two network namespaces', () => {
  let pair: NetnsPair | undefined;
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
    pair?.destroy();
  });

  function runNode(
    side: 0 | 1,
    name: string,
    fingerprint: string,
  ): { child: ChildProcess; seen: () => string } {
    let last = '[]';
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        pair!.names[side],
        process.execPath,
        path.join(root, 'test/helpers/mdns-node.mjs'),
        name,
        String(7700 + side),
        fingerprint,
        pair!.addresses[side],
      ],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    children.push(child);
    let buffer = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      if (lines.length) last = lines.at(-1)!;
    });
    return { child, seen: () => last };
  }

  it('each node finds the other with its TXT record, across the veth link only', async () => {
    pair = createNetnsPair();
    const a = runNode(0, 'node-a', 'AAAA-AAAA-AAAA-AAAA-AAAA');
    const b = runNode(1, 'node-b', 'BBBB-BBBB-BBBB-BBBB-BBBB');
    const deadline = Date.now() + 15_000;
    let aSees: Array<{ url: string; name: string; advertised?: { fingerprint?: string; kinds?: string[] } }> =
      [];
    let bSees: typeof aSees = [];
    while (Date.now() < deadline) {
      aSees = JSON.parse(a.seen()) as typeof aSees;
      bSees = JSON.parse(b.seen()) as typeof bSees;
      if (aSees.length && bSees.length) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(aSees).toEqual([
      expect.objectContaining({ name: 'node-b', url: `http://${pair.addresses[1]}:7701/mesh` }),
    ]);
    expect(aSees[0]?.advertised).toMatchObject({
      fingerprint: 'BBBB-BBBB-BBBB-BBBB-BBBB',
      kinds: ['entities.batch', 'whisper.transcribe'],
    });
    expect(bSees).toEqual([
      expect.objectContaining({ name: 'node-a', url: `http://${pair.addresses[0]}:7700/mesh` }),
    ]);
  });
});
