import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeCandidates, staticCandidates } from '../../src/mesh/candidates.js';
import {
  ConsentGate,
  DEFAULT_CONSENT,
  insideHours,
  othersLoadBetween,
  parseHours,
  sampleCpu,
} from '../../src/mesh/consent.js';
import { discoverTailscalePeers, parseTailscaleStatus } from '../../src/mesh/tailscale.js';

const fixture = (name: string): string =>
  readFileSync(path.join(import.meta.dirname, '../../fixtures/mesh', name), 'utf8');

describe('tailscale discovery', () => {
  it('keeps online peers, on their MagicDNS names, and filters by tag', () => {
    const all = parseTailscaleStatus(fixture('tailscale-status-running.json'), { port: 7777 });
    expect(all.candidates.map((c) => c.url)).toEqual([
      'http://closet-pi.tail1234.ts.net:7777/mesh',
      'http://marias-macbook-air.tail1234.ts.net:7777/mesh',
      'http://100.64.0.12:7777/mesh',
    ]);
    expect(all.candidates.every((c) => c.source === 'tailscale')).toBe(true);
    const tagged = parseTailscaleStatus(fixture('tailscale-status-running.json'), {
      port: 7777,
      tag: 'tag:prechew',
    });
    expect(tagged.candidates.map((c) => c.name)).toEqual(['closet-pi']);
    expect(tagged.candidates[0]?.addresses).toEqual(['100.64.0.7', 'fd7a:115c:a1e0::7']);
  });

  it('says why nothing was found', () => {
    expect(parseTailscaleStatus(fixture('tailscale-status-stopped.json'), { port: 7777 })).toEqual({
      candidates: [],
      note: 'tailscale is stopped, not running',
    });
    expect(parseTailscaleStatus('not json', { port: 7777 }).note).toMatch(/not its status JSON/);
  });

  it('runs the tailscale executable found on PATH, and copes with it missing or failing', async () => {
    const bin = mkdtempSync(path.join(tmpdir(), 'prechew-ts-'));
    const stub = path.join(bin, 'tailscale');
    const json = path.join(bin, 'status.json');
    writeFileSync(json, fixture('tailscale-status-running.json'));
    writeFileSync(stub, `#!/bin/sh\n[ "$1 $2" = "status --json" ] || exit 64\ncat '${json}'\n`);
    chmodSync(stub, 0o755);
    const found = await discoverTailscalePeers({ port: 8080, command: stub, tag: 'tag:prechew' });
    expect(found.candidates.map((c) => c.url)).toEqual(['http://closet-pi.tail1234.ts.net:8080/mesh']);
    const missing = await discoverTailscalePeers({ port: 8080, command: path.join(bin, 'nope') });
    expect(missing).toEqual({ candidates: [], note: 'tailscale is not installed (not on PATH)' });
    writeFileSync(stub, '#!/bin/sh\necho "failed to connect to local tailscaled" >&2\nexit 1\n');
    expect((await discoverTailscalePeers({ port: 8080, command: stub })).note).toMatch(/failed/);
  });

  it('merges static, mDNS and tailnet candidates by URL', () => {
    const fromConfig = staticCandidates([
      'http://desk.local:7777',
      'http://closet-pi.tail1234.ts.net:7777/mesh',
    ]);
    expect(fromConfig[0]?.url).toBe('http://desk.local:7777/mesh');
    const tail = parseTailscaleStatus(fixture('tailscale-status-running.json'), { port: 7777 }).candidates;
    const merged = mergeCandidates(fromConfig, tail);
    expect(merged).toHaveLength(4);
    expect(merged.find((c) => c.url.includes('closet-pi'))?.source).toBe('static');
  });
});

describe('consent', () => {
  it('never takes units by default', () => {
    const gate = new ConsentGate(DEFAULT_CONSENT);
    gate.observe(0);
    expect(gate.state()).toMatchObject({ accepting: false, mode: 'never' });
    expect(gate.state().reason).toMatch(/never/);
  });

  it('idle: accepts after a sustained quiet period and stops within a couple of busy samples', () => {
    let now = 1_000_000;
    const gate = new ConsentGate(
      { ...DEFAULT_CONSENT, accept: 'idle', idleForMs: 10_000, busyAfterSamples: 2 },
      () => now,
    );
    const changes: boolean[] = [];
    gate.onChange((s) => changes.push(s.accepting));
    expect(gate.state().reason).toMatch(/not measured/);
    gate.observe(0.05);
    now += 5_000;
    gate.observe(0.1);
    expect(gate.state()).toMatchObject({ accepting: false });
    expect(gate.state().reason).toMatch(/idle for 5 s of the 10 s/);
    now += 6_000;
    gate.observe(0.1);
    expect(gate.state().accepting).toBe(true);
    // One spike is tolerated; two in a row mean the owner is using the machine.
    now += 1000;
    gate.observe(0.9);
    expect(gate.state().accepting).toBe(true);
    now += 1000;
    gate.observe(0.9);
    expect(gate.state()).toMatchObject({ accepting: false });
    expect(gate.state().reason).toMatch(/in use \(90 % busy/);
    expect(changes).toEqual([true, false]);
  });

  it('respects working hours, including windows that wrap midnight', () => {
    expect(parseHours('22:00-07:30')).toEqual([1320, 450]);
    expect(() => parseHours('25:00-07:00')).toThrow(/time window/);
    const night = parseHours('22:00-07:00');
    expect(insideHours(night, new Date(2026, 0, 1, 23, 0))).toBe(true);
    expect(insideHours(night, new Date(2026, 0, 1, 6, 59))).toBe(true);
    expect(insideHours(night, new Date(2026, 0, 1, 12, 0))).toBe(false);
    const noon = new Date(2026, 0, 1, 12, 0).getTime();
    const gate = new ConsentGate({ ...DEFAULT_CONSENT, accept: 'always', hours: '22:00-07:00' }, () => noon);
    expect(gate.state()).toMatchObject({ accepting: false });
    expect(gate.state().reason).toMatch(/outside the hours/);
  });

  it('measures the load of other processes, not its own', () => {
    // 2 cores for 1 s: 2,000,000 µs in all, 1,200,000 busy, of which this process used 700,000.
    const a = { atMs: 0, machineBusyUs: 5_000_000, machineTotalUs: 10_000_000, selfUs: 300_000 };
    const b = { atMs: 1000, machineBusyUs: 6_200_000, machineTotalUs: 12_000_000, selfUs: 1_000_000 };
    expect(othersLoadBetween(a, b)).toBeCloseTo(0.25, 10);
    expect(othersLoadBetween(b, b)).toBeUndefined();
    // Real samples from this machine come out as a fraction.
    const first = sampleCpu();
    let x = 0;
    for (let i = 0; i < 2_000_000; i++) x += Math.sqrt(i);
    const second = sampleCpu();
    expect(x).toBeGreaterThan(0);
    expect(second.selfUs).toBeGreaterThan(first.selfUs);
    const load = othersLoadBetween(first, second);
    if (load !== undefined) {
      expect(load).toBeGreaterThanOrEqual(0);
      expect(load).toBeLessThanOrEqual(1);
    }
  });
});
