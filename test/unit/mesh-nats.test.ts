import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fromPublic } from '@nats-io/nkeys';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UnitRegistry } from '../../src/jobs/registry.js';
import { loadOrCreateIdentity } from '../../src/mesh/identity.js';
import { authorizationBlock, nkeyFromSignPublic, nodeAuthenticator, nodePermissions } from '../../src/mesh/nats/auth.js';
import { decryptWithDataKey, encryptWithDataKey, newDataKey } from '../../src/mesh/nats/datakey.js';
import { findNatsServer, NatsHub, NATS_INSTALL_HINT } from '../../src/mesh/nats/hub.js';
import { loadPayload, storePayload } from '../../src/mesh/nats/objects.js';
import { redeliveryBackoff } from '../../src/mesh/nats/topology.js';
import { TrustList } from '../../src/mesh/trust.js';

const identity = (): ReturnType<typeof loadOrCreateIdentity> =>
  loadOrCreateIdentity(mkdtempSync(path.join(os.tmpdir(), 'prechew-nats-unit-')));

describe('NATS identities from node keys', () => {
  it('a node key is its NKey: the public key encodes as a user NKey and a node:crypto signature verifies under it', () => {
    const id = identity();
    const nkey = nkeyFromSignPublic(id.signPublic);
    expect(nkey).toMatch(/^U[A-Z2-7]{55}$/);
    const nonce = 'server-nonce-123';
    const auth = nodeAuthenticator(id)(nonce) as { nkey: string; sig: string };
    expect(auth.nkey).toBe(nkey);
    expect(fromPublic(nkey).verify(Buffer.from(nonce), Buffer.from(auth.sig, 'base64url'))).toBe(true);
    expect(fromPublic(nkey).verify(Buffer.from('another nonce'), Buffer.from(auth.sig, 'base64url'))).toBe(false);
  });

  it('permissions: a node gets its own result consumer, inbox and key subject, and no stream administration', () => {
    const p = nodePermissions('TOKENA');
    const all = p.publish.allow.join(' ');
    expect(all).toContain('$JS.API.CONSUMER.MSG.NEXT.PRECHEW_RESULTS.results_TOKENA');
    expect(all).not.toMatch(/STREAM\.(CREATE|UPDATE|DELETE|PURGE)|CONSUMER\.(CREATE|DURABLE\.CREATE)\.PRECHEW|\$JS\.API\.>/);
    expect(all).not.toContain('results_TOKENB');
    expect(p.subscribe.allow).toEqual(['_INBOX_TOKENA.>', 'prechew.key.TOKENA']);
  });

  it('the authorization block lists the hub as administrator and each trusted node with its permissions', () => {
    const hub = identity();
    const a = identity();
    const trust = new TrustList([{ name: 'alpha', key: a.nodeKey }]);
    const text = authorizationBlock(hub.signPublic, trust.peers(), () => 'TOKENA');
    expect(text).toContain(`{ nkey: "${nkeyFromSignPublic(hub.signPublic)}" }`);
    expect(text).toContain(`# alpha (${a.fingerprint})`);
    expect(text).toContain(`nkey: "${nkeyFromSignPublic(a.signPublic)}", permissions:`);
  });
});

describe('JetStream mesh pieces', () => {
  it('per-unit data keys: the ciphertext opens only with the key and the same manifest binding', () => {
    const key = newDataKey();
    const sealed = encryptWithDataKey(key, Buffer.from('secret input'), Buffer.from('manifest-1'));
    expect(sealed.includes(Buffer.from('secret input'))).toBe(false);
    expect(decryptWithDataKey(key, sealed, Buffer.from('manifest-1')).toString()).toBe('secret input');
    expect(() => decryptWithDataKey(key, sealed, Buffer.from('manifest-2'))).toThrow(/failed authentication/);
    expect(() => decryptWithDataKey(newDataKey(), sealed, Buffer.from('manifest-1'))).toThrow(/failed authentication/);
  });

  it('small payloads travel inline; an inline payload needs no store', async () => {
    const noStore = (): Promise<never> => Promise.reject(new Error('no store'));
    const ref = await storePayload(noStore, Buffer.from('tiny'), 1024);
    expect(ref).toEqual({ inline: Buffer.from('tiny').toString('base64') });
    expect((await loadPayload(noStore, ref, 1024)).toString()).toBe('tiny');
    await expect(loadPayload(noStore, { object: 'x', sha256: '0'.repeat(64), bytes: 5000 }, 1024)).rejects.toThrow(/over this node's limit/);
  });

  it('redelivery backoff starts at ack_wait and doubles, capped at a minute', () => {
    expect(redeliveryBackoff(10_000, 5).map((n) => n / 1e6)).toEqual([10_000, 20_000, 40_000, 60_000]);
  });

  it('a hub without nats-server fails with the install command', async () => {
    expect(findNatsServer('/nonexistent/nats-server')).toBeUndefined();
    expect(NATS_INSTALL_HINT).toMatch(/apt-get install nats-server/);
    const registry = new UnitRegistry().register({
      kind: 'k',
      version: '1',
      input: z.unknown(),
      output: z.unknown(),
      maxInputBytes: 10,
      deterministic: true,
      handler: () => null,
    });
    const id = identity();
    await expect(
      NatsHub.start({
        identity: id,
        trust: new TrustList([]),
        registry,
        dataDir: path.dirname(id.file),
        host: '127.0.0.1',
        port: 0,
        binary: '/nonexistent/nats-server',
        leafUsers: [],
        topology: { ackWaitMs: 1000, maxDeliver: 2, registryTtlMs: 3000 },
      }),
    ).rejects.toThrow(/apt-get install nats-server/);
  });
});

describe('mesh.nats config', () => {
  it('parses hub and leaf settings and masks every NATS secret in `prechew config`', async () => {
    const { parseConfig, maskSecrets } = await import('../../src/config.js');
    const config = parseConfig({
      mesh: {
        nats: {
          url: 'nats://node:urlsecret@hub.lan:4222',
          user: 'node',
          password: 'plainsecret',
          hub: {
            leafPort: 7422,
            leafUsers: [{ user: 'school', password: 'leafsecret-123456' }],
            leafRemote: { url: 'nats-leaf://central:7422', user: 'school', password: 'remotesecret' },
          },
        },
      },
    });
    expect(config.mesh.nats.ackWaitMs).toBe(10_000);
    expect(config.mesh.nats.hub.port).toBe(4222);
    const shown = JSON.stringify(maskSecrets(config));
    for (const secret of ['urlsecret', 'plainsecret', 'leafsecret', 'remotesecret']) expect(shown).not.toContain(secret);
    expect(() => parseConfig({ mesh: { nats: { hub: { leafUsers: [{ user: 'a', password: 'short' }] } } } })).toThrow();
  });
});
