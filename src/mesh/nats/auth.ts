/**
 * NATS identities from prechew node identities. An NKey user key is the node's raw Ed25519 public
 * key in NATS's base32 form (prefix byte, key, CRC-16), so the key a node already signs manifests
 * with is the one it connects with: the server sends a nonce, the node signs it with node:crypto.
 *
 * The hub's authorization block is generated from the trust list: one NKey user per trusted node,
 * each allowed only its own subjects (pull and ack on the work consumers, its own result consumer,
 * publish results and key requests, its own registry entry, payloads), and no stream or consumer
 * administration — the hub's own key is the only administrator.
 */
import type { Authenticator } from '@nats-io/transport-node';
import type { NodeIdentity } from '../identity.js';
import { base32 } from '../keys.js';
import type { TrustedPeer } from '../trust.js';
import {
  inboxPrefix,
  JS_DOMAIN,
  keySubject,
  KEY_PREFIX,
  PAYLOAD_BUCKET,
  REGISTRY_BUCKET,
  RESULT_PREFIX,
  resultDurable,
  RESULTS_STREAM,
  WORK_PREFIX,
  WORK_STREAM,
} from './subjects.js';

/** NKey prefix byte for a user ('U'). */
const PREFIX_USER = 20 << 3;

function crc16(bytes: Uint8Array): number {
  // CRC-16/XMODEM, as NKeys use.
  let crc = 0;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The NKey user public key ("U…", 56 characters) of a raw Ed25519 public key (base64url). */
export function nkeyFromSignPublic(signPublic: string): string {
  const raw = Buffer.from(signPublic, 'base64url');
  if (raw.length !== 32) throw new TypeError('an Ed25519 public key is 32 bytes');
  const body = Buffer.concat([Buffer.from([PREFIX_USER]), raw]);
  const crc = crc16(body);
  return base32(Buffer.concat([body, Buffer.from([crc & 0xff, crc >> 8])]));
}

/** Connects as this node: answers the server's nonce with the node's Ed25519 signature. */
export function nodeAuthenticator(identity: NodeIdentity): Authenticator {
  const nkey = nkeyFromSignPublic(identity.signPublic);
  return (nonce?: string) => ({
    nkey,
    sig: identity.signBytes(Buffer.from(nonce ?? '', 'utf8')),
  });
}

export interface SubjectPermissions {
  publish: { allow: string[] };
  subscribe: { allow: string[] };
  allow_responses: boolean;
}

/** What one trusted node may do on the hub (token: its node token). */
export function nodePermissions(token: string): SubjectPermissions {
  const obj = `OBJ_${PAYLOAD_BUCKET}`;
  const kv = `KV_${REGISTRY_BUCKET}`;
  const allow = [
        // Enqueue units (JetStream publish), send results and key requests to any requester.
        `${WORK_PREFIX}.>`,
        `${RESULT_PREFIX}.*`,
        `${KEY_PREFIX}.*`,
        '$JS.API.INFO',
        // Pull from the shared work consumers and ack what it was given; nothing else on that stream.
        `$JS.API.STREAM.INFO.${WORK_STREAM}`,
        `$JS.API.CONSUMER.INFO.${WORK_STREAM}.*`,
        `$JS.API.CONSUMER.MSG.NEXT.${WORK_STREAM}.*`,
        `$JS.ACK.${WORK_STREAM}.>`,
        // Its own result consumer only.
        `$JS.API.STREAM.INFO.${RESULTS_STREAM}`,
        `$JS.API.CONSUMER.INFO.${RESULTS_STREAM}.${resultDurable(token)}`,
        `$JS.API.CONSUMER.MSG.NEXT.${RESULTS_STREAM}.${resultDurable(token)}`,
        `$JS.ACK.${RESULTS_STREAM}.${resultDurable(token)}.>`,
        // Its own registry entry; read any (entries are signed).
        `$KV.${REGISTRY_BUCKET}.${token}`,
        `$JS.API.STREAM.INFO.${kv}`,
        `$JS.API.DIRECT.GET.${kv}.>`,
        `$JS.API.STREAM.MSG.GET.${kv}`,
        // Payloads (sealed): write chunks and read them back through ordered consumers.
        `$O.${PAYLOAD_BUCKET}.>`,
        `$JS.API.STREAM.INFO.${obj}`,
        `$JS.API.DIRECT.GET.${obj}.>`,
        `$JS.API.STREAM.MSG.GET.${obj}`,
        `$JS.API.CONSUMER.CREATE.${obj}`,
        `$JS.API.CONSUMER.CREATE.${obj}.>`,
        `$JS.API.CONSUMER.DELETE.${obj}.>`,
        `$JS.FC.${obj}.>`,
  ];
  return {
    publish: {
      // The same API under the hub's JetStream domain (what nodes behind a leaf hub use), and acks
      // in the longer form a server with a domain uses.
      allow: allow.flatMap((subject) =>
        subject.startsWith('$JS.API.')
          ? [subject, subject.replace('$JS.API.', `$JS.${JS_DOMAIN}.API.`)]
          : subject.startsWith('$JS.ACK.')
            ? [subject, subject.replace('$JS.ACK.', '$JS.ACK.*.*.')]
            : subject.startsWith('$KV.') || subject.startsWith('$O.')
              ? [subject, `$JS.${JS_DOMAIN}.API.${subject}`]
              : [subject],
      ),
    },
    subscribe: { allow: [`${inboxPrefix(token)}.>`, keySubject(token)] },
    allow_responses: true,
  };
}

function quote(s: string): string {
  return JSON.stringify(s);
}

function permissionsBlock(p: SubjectPermissions): string {
  const list = (items: string[]): string => `[${items.map(quote).join(', ')}]`;
  return `{ publish: { allow: ${list(p.publish.allow)} }, subscribe: { allow: ${list(p.subscribe.allow)} }, allow_responses: ${String(p.allow_responses)} }`;
}

/** The `authorization` block: the hub's key is the administrator, each trusted node a restricted user. */
export function authorizationBlock(
  admin: string,
  trusted: TrustedPeer[],
  tokenOf: (peer: TrustedPeer) => string,
): string {
  const users = [
    `    # ${'hub (administrator: creates streams and consumers)'}\n    { nkey: ${quote(nkeyFromSignPublic(admin))} }`,
    ...trusted
      .filter((p) => p.signPublic !== admin)
      .map(
        (p) =>
          `    # ${p.name} (${p.fingerprint})\n    { nkey: ${quote(nkeyFromSignPublic(p.signPublic))}, permissions: ${permissionsBlock(nodePermissions(tokenOf(p)))} }`,
      ),
  ];
  return `authorization {\n  users: [\n${users.join(',\n')}\n  ]\n}\n`;
}
