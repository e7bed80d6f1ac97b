import { mkdtempSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PrechewError } from '../../src/errors.js';
import { canonicalJson } from '../../src/mesh/canonical.js';
import {
  checkDigest,
  issueManifest,
  manifestDigest,
  NonceCache,
  sha256Hex,
  signResultClaim,
  verifyManifest,
  verifyResultClaim,
  type SignedManifest,
} from '../../src/mesh/envelope.js';
import { IDENTITY_FILE, loadOrCreateIdentity, type NodeIdentity } from '../../src/mesh/identity.js';
import { parseNodeKey } from '../../src/mesh/keys.js';
import { openPayload, sealPayload } from '../../src/mesh/seal.js';
import { addTrustedEntry, removeTrustedEntry, TrustList } from '../../src/mesh/trust.js';

function freshIdentity(): NodeIdentity {
  return loadOrCreateIdentity(mkdtempSync(path.join(tmpdir(), 'prechew-id-')));
}

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PrechewError);
    expect((error as PrechewError).code).toBe('PEER_REFUSED');
    return String((error as PrechewError).details?.reason);
  }
  throw new Error('expected a PEER_REFUSED error');
}

describe('canonical JSON', () => {
  it('sorts keys at every level and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, 'x', null], c: true }, z: undefined })).toBe(
      '{"a":{"c":true,"d":[1,"x",null]},"b":1}',
    );
  });
  it('refuses values that do not survive a JSON round trip', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/finite/);
    expect(() => canonicalJson({ a: new Date() })).toThrow(/plain objects/);
    expect(canonicalJson({ pcm: new Uint8Array([1, 2, 3]), gap: [undefined] })).toBe(
      `{"gap":[null],"pcm":"AQID"}`,
    );
    expect(() => canonicalJson({ a: 1n })).toThrow(/bigint/);
  });
});

describe('node identity', () => {
  it('is created once with mode 0600, reloads with the same keys, and prints a parseable node key', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'prechew-id-'));
    const first = loadOrCreateIdentity(dir);
    const file = path.join(dir, IDENTITY_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = loadOrCreateIdentity(dir);
    expect(again.nodeKey).toBe(first.nodeKey);
    expect(first.fingerprint).toMatch(/^[A-Z2-7]{4}(-[A-Z2-7]{4}){4}$/);
    const parsed = parseNodeKey(`  ${first.nodeKey}  laptop`);
    expect(parsed.fingerprint).toBe(first.fingerprint);
    expect(parsed.signPublic).not.toBe(parsed.sealPublic);
    // The private keys are in the file, never in the public form.
    expect(readFileSync(file, 'utf8')).toContain('"d"');
    expect(first.nodeKey).not.toContain(JSON.parse(readFileSync(file, 'utf8')).sign.d);
  });

  it('tightens a key file that other users could read, and refuses a damaged one clearly', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'prechew-id-'));
    loadOrCreateIdentity(dir);
    const file = path.join(dir, IDENTITY_FILE);
    chmodSync(file, 0o644);
    loadOrCreateIdentity(dir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileSync(file, '{"version":1,"sign":{}}');
    expect(() => loadOrCreateIdentity(dir)).toThrow(/damaged/);
  });

  it('rejects malformed node keys', () => {
    expect(() => parseNodeKey('ssh-ed25519 AAAA')).toThrow(/prechew id/);
    expect(() => parseNodeKey('prechew1.short.short')).toThrow(/32-byte/);
  });
});

describe('trust list', () => {
  it('adds and removes entries by name and refuses duplicates', () => {
    const a = freshIdentity();
    const b = freshIdentity();
    let entries = addTrustedEntry([], { name: 'alpha', key: a.nodeKey });
    entries = addTrustedEntry(entries, { name: 'beta', key: b.nodeKey });
    expect(() => addTrustedEntry(entries, { name: 'alpha', key: freshIdentity().nodeKey })).toThrow(
      /already trusted/,
    );
    expect(() => addTrustedEntry(entries, { name: 'gamma', key: a.nodeKey })).toThrow(
      /already trusted as "alpha"/,
    );
    const list = new TrustList(entries);
    expect(list.bySigningKey(b.signPublic)?.name).toBe('beta');
    entries = removeTrustedEntry(entries, 'alpha');
    expect(new TrustList(entries).bySigningKey(a.signPublic)).toBeUndefined();
    expect(() => removeTrustedEntry(entries, 'alpha')).toThrow(/No trusted peer/);
  });
});

describe('signed manifests and results', () => {
  const requester = freshIdentity();
  const worker = freshIdentity();
  const stranger = freshIdentity();
  const workerTrusts = new TrustList([{ name: 'req', key: requester.nodeKey }]);
  const requesterTrusts = new TrustList([{ name: 'wrk', key: worker.nodeKey }]);
  const input = Buffer.from('Extract entities from this paragraph about Ada Lovelace.');

  function issue(overrides: { now?: number; deadlineMs?: number; worker?: string } = {}): SignedManifest {
    return issueManifest(requester, {
      unitId: 'u1',
      kind: 'entities',
      kindVersion: '1',
      input,
      deadlineMs: overrides.deadlineMs ?? 30_000,
      worker: overrides.worker ?? worker.signPublic,
      now: overrides.now,
    });
  }

  it('accepts a good manifest once and refuses its replay', () => {
    const nonces = new NonceCache();
    const signed = issue();
    expect(verifyManifest(signed, { trusted: workerTrusts, self: worker.signPublic, nonces }).name).toBe(
      'req',
    );
    expect(
      refusal(() => verifyManifest(signed, { trusted: workerTrusts, self: worker.signPublic, nonces })),
    ).toBe('replay');
  });

  it('refuses untrusted keys, bad signatures, tampering, expiry, skew and the wrong worker', () => {
    const opts = () => ({ trusted: workerTrusts, self: worker.signPublic, nonces: new NonceCache() });
    const foreign = issueManifest(stranger, {
      unitId: 'u',
      kind: 'entities',
      kindVersion: '1',
      input,
      deadlineMs: 1000,
    });
    expect(refusal(() => verifyManifest(foreign, opts()))).toBe('untrusted');
    const tampered = issue();
    tampered.manifest.kind = 'summarize';
    expect(refusal(() => verifyManifest(tampered, opts()))).toBe('bad-signature');
    const garbage = { ...issue(), signature: 'x'.repeat(86) };
    expect(refusal(() => verifyManifest(garbage, opts()))).toBe('bad-signature');
    expect(
      refusal(() => verifyManifest(issue({ now: Date.now() - 120_000, deadlineMs: 300_000 }), opts())),
    ).toBe('clock-skew');
    expect(refusal(() => verifyManifest(issue({ deadlineMs: 1 }), { ...opts(), now: Date.now() + 5 }))).toBe(
      'expired',
    );
    expect(refusal(() => verifyManifest(issue({ deadlineMs: 10 * 3_600_000 }), opts()))).toBe(
      'deadline-too-far',
    );
    expect(refusal(() => verifyManifest(issue({ worker: stranger.signPublic }), opts()))).toBe(
      'wrong-worker',
    );
  });

  it('checks input and output digests', () => {
    const signed = issue();
    expect(() => checkDigest(input, signed.manifest.inputDigest, 'input')).not.toThrow();
    expect(
      refusal(() =>
        checkDigest(Buffer.concat([input, Buffer.from('!')]), signed.manifest.inputDigest, 'input'),
      ),
    ).toBe('digest-mismatch');
  });

  it('binds a signed result to its manifest and worker', () => {
    const signed = issue();
    const output = Buffer.from('{"entities":[]}');
    const result = signResultClaim(worker, {
      unitId: 'u1',
      manifestDigest: manifestDigest(signed),
      outputDigest: sha256Hex(output),
      outputBytes: output.length,
      engine: { name: 'entities', version: '1' },
      startedAt: 1,
      finishedAt: 2,
    });
    expect(
      verifyResultClaim(result, {
        trusted: requesterTrusts,
        manifest: signed,
        expectedWorker: worker.signPublic,
      }).name,
    ).toBe('wrk');
    expect(refusal(() => verifyResultClaim(result, { trusted: requesterTrusts, manifest: issue() }))).toBe(
      'wrong-unit',
    );
    const forged = { ...result, claim: { ...result.claim, outputDigest: sha256Hex('other') } };
    expect(refusal(() => verifyResultClaim(forged, { trusted: requesterTrusts, manifest: signed }))).toBe(
      'bad-signature',
    );
    expect(refusal(() => verifyResultClaim(result, { trusted: new TrustList([]), manifest: signed }))).toBe(
      'untrusted',
    );
  });
});

describe('sealed payloads', () => {
  const recipient = freshIdentity();
  const other = freshIdentity();
  const aad = Buffer.from(sha256Hex('manifest'));
  const secret = Buffer.from('Patient Jane Roe, born 1980-02-03, lives at 10 Downing Street.');

  it('round-trips, and the sealed bytes contain no plaintext', () => {
    const sealed = sealPayload(recipient.sealKey, secret, aad);
    expect(sealed.includes(Buffer.from('Jane Roe'))).toBe(false);
    expect(sealed.length).toBe(secret.length + 64);
    expect(openPayload(recipient.sealPrivate, recipient.sealPublic, sealed, aad).equals(secret)).toBe(true);
    // Two seals of the same plaintext differ (fresh ephemeral key and IV).
    expect(sealPayload(recipient.sealKey, secret, aad).equals(sealed)).toBe(false);
  });

  it('refuses the wrong recipient, another manifest, a flipped bit and garbage', () => {
    const sealed = sealPayload(recipient.sealKey, secret, aad);
    expect(refusal(() => openPayload(other.sealPrivate, other.sealPublic, sealed, aad))).toBe('bad-seal');
    expect(
      refusal(() => openPayload(recipient.sealPrivate, recipient.sealPublic, sealed, Buffer.from('other'))),
    ).toBe('bad-seal');
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 1]! ^= 1;
    expect(refusal(() => openPayload(recipient.sealPrivate, recipient.sealPublic, flipped, aad))).toBe(
      'bad-seal',
    );
    expect(
      refusal(() => openPayload(recipient.sealPrivate, recipient.sealPublic, Buffer.from('PCS1short'), aad)),
    ).toBe('bad-seal');
    const lowOrder = Buffer.concat([
      Buffer.from('PCS1'),
      Buffer.alloc(32),
      Buffer.alloc(28),
      Buffer.from('x'),
    ]);
    expect(refusal(() => openPayload(recipient.sealPrivate, recipient.sealPublic, lowOrder, aad))).toMatch(
      /bad-key|bad-seal/,
    );
  });
});
