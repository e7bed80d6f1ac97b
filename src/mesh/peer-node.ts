/**
 * The worker side of the mesh: takes a unit from a trusted peer, checks everything before any work
 * (envelope, consent, kind, size, rate, slot, input digest, input schema), runs it through the unit
 * registry, and returns the output sealed to the requester with a signed result claim. Also answers
 * signed status requests, which are how requesters learn that a node is alive and what it offers.
 */
import { randomBytes, verify } from 'node:crypto';
import { PrechewError, toSafeError } from '../errors.js';
import type { UnitRegistry } from '../jobs/registry.js';
import { log } from '../log.js';
import { canonicalJson } from './canonical.js';
import type { ConsentGate } from './consent.js';
import {
  checkDigest,
  manifestDigest,
  NonceCache,
  sha256Hex,
  signResultClaim,
  verifyManifest,
  type SignedManifest,
  type SignedResult,
} from './envelope.js';
import type { NodeIdentity } from './identity.js';
import { payloadAad, type NodeStatus, type SignedStatus, type StatusRequest } from './peer-protocol.js';
import { openPayload, sealPayload } from './seal.js';
import type { TrustList } from './trust.js';
import type { WorkerPolicy } from './worker-policy.js';

export interface PeerNodeOptions {
  identity: NodeIdentity;
  trusted: TrustList;
  registry: UnitRegistry;
  consent: ConsentGate;
  policy: WorkerPolicy;
  name: string;
  version: string;
  models?: () => { llm?: string | undefined; whisper?: string | undefined };
  maxSkewMs?: number;
  /** Test-only: flips the outputs this node returns, to prove that verification catches a liar. */
  corruptOutputs?: boolean;
}

export interface RunUnitReply {
  result: SignedResult;
  payload: string;
}

const STATUS_PURPOSE = 'prechew-node-status-v1';

/** The bytes a requester signs to ask for a node's status. */
export function statusRequestBytes(request: Omit<StatusRequest, 'signature'>): Buffer {
  return Buffer.from(
    canonicalJson({ purpose: STATUS_PURPOSE, from: request.from, nonce: request.nonce, at: request.at }),
  );
}

export function makeStatusRequest(identity: NodeIdentity, now = Date.now()): StatusRequest {
  const body = { from: identity.signPublic, nonce: randomBytes(16).toString('base64url'), at: now };
  return { ...body, signature: identity.signBytes(statusRequestBytes(body)) };
}

export class PeerNode {
  private readonly nonces = new NonceCache();
  private unitsDone = 0;
  private unitsFailed = 0;

  constructor(private readonly options: PeerNodeOptions) {}

  get counters(): { unitsDone: number; unitsFailed: number } {
    return { unitsDone: this.unitsDone, unitsFailed: this.unitsFailed };
  }

  async runUnit(signed: SignedManifest, sealedInput: Buffer, signal?: AbortSignal): Promise<RunUnitReply> {
    const { identity, trusted, registry, consent, policy } = this.options;
    const requester = verifyManifest(signed, {
      trusted,
      self: identity.signPublic,
      nonces: this.nonces,
      maxSkewMs: this.options.maxSkewMs,
    });
    const m = signed.manifest;
    const state = consent.state();
    if (!state.accepting)
      throw new PrechewError('PEER_REFUSED', `This node is not taking units now: ${state.reason}.`, {
        reason: 'not-accepting',
      });
    const spec = registry.get(m.kind);
    if (!spec)
      throw new PrechewError('PEER_REFUSED', `This node does not know unit kind "${m.kind}".`, {
        reason: 'unknown-kind',
      });
    if (spec.version !== m.kindVersion) {
      throw new PrechewError(
        'PEER_REFUSED',
        `This node runs "${m.kind}" version ${spec.version}, not ${m.kindVersion}.`,
        { reason: 'kind-version' },
      );
    }
    policy.check(requester.name, m.kind, Math.max(m.inputBytes, sealedInput.length));
    if (m.inputBytes > spec.maxInputBytes) {
      throw new PrechewError(
        'PEER_REFUSED',
        `The "${m.kind}" input is larger than this kind allows (${spec.maxInputBytes} bytes).`,
        { reason: 'too-large' },
      );
    }
    const release = policy.acquire();
    log.debug('mesh: running a unit for a peer', {
      peer: requester.name,
      kind: m.kind,
      unit: m.unitId.slice(0, 12),
    });
    const digest = manifestDigest(signed);
    const started = Date.now();
    const deadline = AbortSignal.timeout(Math.max(1, m.deadline - started));
    const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
    try {
      const inputBytes = openPayload(
        identity.sealPrivate,
        identity.sealPublic,
        sealedInput,
        payloadAad(digest, 'input'),
      );
      checkDigest(inputBytes, m.inputDigest, 'input');
      const parsed = spec.input.safeParse(JSON.parse(inputBytes.toString('utf8')));
      if (!parsed.success)
        throw new PrechewError('PEER_REFUSED', `The "${m.kind}" input does not match its schema.`, {
          reason: 'bad-input',
        });
      const output = await spec.handler(parsed.data, { signal: combined, remote: true });
      if (combined.aborted) throw new PrechewError('TIMEOUT', 'The unit deadline passed while it ran.');
      let outputBytes = Buffer.from(canonicalJson(spec.output.parse(output)));
      if (this.options.corruptOutputs)
        outputBytes = Buffer.from(
          canonicalJson(corrupt(JSON.parse(outputBytes.toString('utf8')), spec.output)),
        );
      const requesterKey = trusted.require(m.requester);
      const payload = sealPayload(requesterKey.sealKey, outputBytes, payloadAad(digest, 'output')).toString(
        'base64',
      );
      const models = this.options.models?.() ?? {};
      const result = signResultClaim(identity, {
        unitId: m.unitId,
        manifestDigest: digest,
        outputDigest: sha256Hex(outputBytes),
        outputBytes: outputBytes.length,
        engine: { name: m.kind, version: spec.version, model: spec.needs ? models[spec.needs] : undefined },
        startedAt: started,
        finishedAt: Date.now(),
      });
      this.unitsDone++;
      return { result, payload };
    } catch (error) {
      this.unitsFailed++;
      const safe = toSafeError(error);
      log.debug('mesh: unit from peer failed', { peer: requester.name, kind: m.kind, code: safe.code });
      throw safe;
    } finally {
      release();
    }
  }

  /** Answers a signed status request from a trusted peer with a signed status. */
  status(request: StatusRequest, now = Date.now()): SignedStatus {
    const { identity, trusted, consent, policy, registry } = this.options;
    const peer = trusted.require(request.from);
    const ok =
      /^[A-Za-z0-9_-]{86}$/.test(request.signature) &&
      verify(null, statusRequestBytes(request), peer.signKey, Buffer.from(request.signature, 'base64url'));
    if (!ok)
      throw new PrechewError('PEER_REFUSED', 'The status request signature does not verify.', {
        reason: 'bad-signature',
      });
    const skew = this.options.maxSkewMs ?? 60_000;
    if (Math.abs(request.at - now) > skew)
      throw new PrechewError('PEER_REFUSED', 'The status request is too old or from a skewed clock.', {
        reason: 'clock-skew',
      });
    const state = consent.state();
    const models = this.options.models?.() ?? {};
    const status: NodeStatus = {
      v: 1,
      nodeKey: identity.nodeKey,
      fingerprint: identity.fingerprint,
      name: this.options.name,
      version: this.options.version,
      accept: { mode: state.mode, accepting: state.accepting, reason: state.reason },
      slots: { max: policy.limits.maxConcurrent, free: state.accepting ? policy.freeSlots() : 0 },
      kinds: registry
        .list()
        .filter((k) => policy.allowsKind(k.kind) && (!k.needs || models[k.needs] !== undefined))
        .map((k) => k.kind),
      models: { llm: models.llm, whisper: models.whisper },
      unitsDone: this.unitsDone,
      unitsFailed: this.unitsFailed,
      load: state.othersLoad,
      requestNonce: request.nonce,
      at: now,
    };
    return { status, signature: identity.signBytes(Buffer.from(canonicalJson(status))) };
  }
}

/** Every number shifted by one. */
function shiftNumbers(value: unknown): unknown {
  if (typeof value === 'number') return value + 1;
  if (Array.isArray(value)) return value.map(shiftNumbers);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, shiftNumbers(v)]));
  return value;
}

/** The last item of the first non-empty array, dropped. */
function dropOne(value: unknown): unknown {
  let done = false;
  const walk = (v: unknown): unknown => {
    if (done) return v;
    if (Array.isArray(v)) {
      if (v.length > 0 && !v.some((x) => Array.isArray(x) && x.length > 0)) {
        done = true;
        return v.slice(0, -1);
      }
      return v.map(walk);
    }
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value);
}

/**
 * A wrong but well-formed output (test-only fault injection): the first alteration that still
 * passes the kind's output schema, so only a comparison with another node's answer catches it.
 */
function corrupt(value: unknown, schema: { safeParse(v: unknown): { success: boolean } }): unknown {
  const original = canonicalJson(value);
  for (const alter of [shiftNumbers, dropOne]) {
    const changed = alter(value);
    if (canonicalJson(changed) !== original && schema.safeParse(changed).success) return changed;
  }
  return value;
}
