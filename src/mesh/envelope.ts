/**
 * The unit envelope that travels between nodes, whatever carries it (a direct MCP call today, a
 * message queue later): a manifest signed by the requester, a result claim signed by the worker,
 * and payloads sealed to their recipient with the manifest digest as associated data.
 *
 * A worker checks, before any work: signature, trust, clock-skew window, deadline, nonce not seen
 * before (verifyManifest), then the kind policy and size limit (the registry), then the input
 * digest after opening the payload (checkDigest). A requester checks the result claim
 * (verifyResultClaim) and the output digest before it uses a result.
 */
import { createHash, randomBytes, verify } from 'node:crypto';
import { PrechewError } from '../errors.js';
import { canonicalJson } from './canonical.js';
import type { NodeIdentity } from './identity.js';
import type { TrustedPeer, TrustList } from './trust.js';

export const ENVELOPE_VERSION = 1;

export interface UnitManifest {
  v: typeof ENVELOPE_VERSION;
  unitId: string;
  kind: string;
  kindVersion: string;
  /** sha256 (hex) of the unsealed input bytes. */
  inputDigest: string;
  inputBytes: number;
  /** Requester's Ed25519 public key (raw, base64url). */
  requester: string;
  /** Intended worker's Ed25519 public key, when known at issue time. */
  worker?: string | undefined;
  issuedAt: number;
  deadline: number;
  nonce: string;
}

export interface SignedManifest {
  manifest: UnitManifest;
  signature: string;
}

export interface ResultClaim {
  v: typeof ENVELOPE_VERSION;
  unitId: string;
  /** sha256 (hex) of the canonical signed manifest this result answers. */
  manifestDigest: string;
  /** sha256 (hex) of the unsealed output bytes. */
  outputDigest: string;
  outputBytes: number;
  /** Worker's Ed25519 public key. */
  worker: string;
  engine: { name: string; version: string; model?: string | undefined };
  startedAt: number;
  finishedAt: number;
}

export interface SignedResult {
  claim: ResultClaim;
  signature: string;
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

function refuse(reason: string, message: string): PrechewError {
  return new PrechewError('PEER_REFUSED', message, { reason });
}

function signatureValid(signer: TrustedPeer, payload: unknown, signature: string): boolean {
  if (!/^[A-Za-z0-9_-]{86}$/.test(signature)) return false;
  return verify(
    null,
    Buffer.from(canonicalJson(payload)),
    signer.signKey,
    Buffer.from(signature, 'base64url'),
  );
}

export interface IssueOptions {
  unitId: string;
  kind: string;
  kindVersion: string;
  input: Uint8Array;
  deadlineMs: number;
  worker?: string | undefined;
  now?: number;
}

export function issueManifest(identity: NodeIdentity, options: IssueOptions): SignedManifest {
  const now = options.now ?? Date.now();
  const manifest: UnitManifest = {
    v: ENVELOPE_VERSION,
    unitId: options.unitId,
    kind: options.kind,
    kindVersion: options.kindVersion,
    inputDigest: sha256Hex(options.input),
    inputBytes: options.input.byteLength,
    requester: identity.signPublic,
    worker: options.worker,
    issuedAt: now,
    deadline: now + options.deadlineMs,
    nonce: randomBytes(16).toString('base64url'),
  };
  return { manifest, signature: identity.signBytes(Buffer.from(canonicalJson(manifest))) };
}

/** The digest that binds a result and sealed payloads to one signed manifest. */
export function manifestDigest(signed: SignedManifest): string {
  return sha256Hex(canonicalJson(signed));
}

/**
 * Remembers manifest nonces until the manifest could no longer be accepted anyway (its deadline or
 * the skew window, whichever is later), so a replay inside that time is caught and memory stays
 * bounded. When full of live entries it refuses new units rather than forget a nonce.
 */
export class NonceCache {
  private readonly seen = new Map<string, number>();
  constructor(private readonly maxEntries = 200_000) {}

  /** Records the nonce; false if it was already seen. */
  remember(key: string, keepUntil: number, now: number): boolean {
    if (this.seen.has(key)) return false;
    if (this.seen.size >= this.maxEntries) {
      for (const [k, until] of this.seen) if (until < now) this.seen.delete(k);
      if (this.seen.size >= this.maxEntries)
        throw refuse('busy', 'This node is tracking too many units right now; try again shortly.');
    }
    this.seen.set(key, keepUntil);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}

export interface VerifyManifestOptions {
  trusted: TrustList;
  /** This node's signing key: a manifest addressed to another worker is refused. */
  self: string;
  nonces: NonceCache;
  now?: number;
  maxSkewMs?: number;
  /** Longest deadline a requester may ask for, so nonces need not be kept forever. */
  maxLifetimeMs?: number;
}

/** Checks a manifest on the worker side; returns the trusted requester or throws PEER_REFUSED. */
export function verifyManifest(signed: SignedManifest, options: VerifyManifestOptions): TrustedPeer {
  const now = options.now ?? Date.now();
  const skew = options.maxSkewMs ?? 60_000;
  const lifetime = options.maxLifetimeMs ?? 3_600_000;
  const m = signed.manifest;
  if (m.v !== ENVELOPE_VERSION)
    throw refuse(
      'version',
      `Unsupported envelope version ${String(m.v)}; this node speaks ${ENVELOPE_VERSION}.`,
    );
  const requester = options.trusted.require(m.requester);
  if (!signatureValid(requester, m, signed.signature))
    throw refuse('bad-signature', 'The unit manifest signature does not verify.');
  if (m.worker !== undefined && m.worker !== options.self)
    throw refuse('wrong-worker', 'The unit was issued to another node.');
  if (Math.abs(m.issuedAt - now) > skew) {
    throw refuse(
      'clock-skew',
      `The manifest was issued ${Math.round((m.issuedAt - now) / 1000)} s from this node's clock (allowed ±${skew / 1000} s): check both clocks.`,
    );
  }
  if (m.deadline <= now) throw refuse('expired', 'The unit deadline has passed.');
  if (m.deadline - m.issuedAt > lifetime)
    throw refuse('deadline-too-far', `The unit deadline is more than ${lifetime / 1000} s after issue.`);
  if (
    !options.nonces.remember(`${m.requester}:${m.nonce}`, Math.max(m.deadline, m.issuedAt + skew) + skew, now)
  ) {
    throw refuse('replay', 'This manifest was already received (replayed).');
  }
  return requester;
}

/** Refuses bytes whose sha256 is not the one the signed envelope promised. */
export function checkDigest(bytes: Uint8Array, expectedHex: string, what: 'input' | 'output'): void {
  if (sha256Hex(bytes) !== expectedHex) {
    throw refuse('digest-mismatch', `The unit ${what} does not match the digest in its signed envelope.`);
  }
}

export function signResultClaim(
  identity: NodeIdentity,
  claim: Omit<ResultClaim, 'v' | 'worker'>,
): SignedResult {
  const full: ResultClaim = { v: ENVELOPE_VERSION, worker: identity.signPublic, ...claim };
  return { claim: full, signature: identity.signBytes(Buffer.from(canonicalJson(full))) };
}

export interface VerifyResultOptions {
  trusted: TrustList;
  manifest: SignedManifest;
  /** The worker the unit was sent to; a result from anyone else is refused. */
  expectedWorker?: string;
}

/** Checks a result claim on the requester side; returns the trusted worker or throws PEER_REFUSED. */
export function verifyResultClaim(signed: SignedResult, options: VerifyResultOptions): TrustedPeer {
  const c = signed.claim;
  if (c.v !== ENVELOPE_VERSION) throw refuse('version', `Unsupported result version ${String(c.v)}.`);
  const worker = options.trusted.require(c.worker);
  if (options.expectedWorker !== undefined && c.worker !== options.expectedWorker)
    throw refuse('wrong-worker', 'The result was signed by a node the unit was not sent to.');
  if (!signatureValid(worker, c, signed.signature))
    throw refuse('bad-signature', 'The result signature does not verify.');
  if (
    c.unitId !== options.manifest.manifest.unitId ||
    c.manifestDigest !== manifestDigest(options.manifest)
  ) {
    throw refuse('wrong-unit', 'The result answers another unit.');
  }
  return worker;
}
