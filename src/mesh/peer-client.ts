/**
 * The requester side of one trusted peer: signs and seals units for it, calls its `/mesh` endpoint
 * over MCP, and believes nothing it returns until the signature, the binding to our manifest, the
 * output digest and the kind's output schema all check out. Implements UnitBackend so the
 * dispatcher can put it beside the local node.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { verify } from 'node:crypto';
import { PrechewError } from '../errors.js';
import type { BackendRunContext, UnitBackend } from '../jobs/dispatch.js';
import type { UnitRegistry } from '../jobs/registry.js';
import type { Unit } from '../jobs/units.js';
import { canonicalJson } from './canonical.js';
import { checkDigest, issueManifest, manifestDigest, verifyResultClaim } from './envelope.js';
import type { NodeIdentity } from './identity.js';
import { PEER_TOOL_NODE_STATUS, PEER_TOOL_RUN_UNIT } from './peer-endpoint.js';
import { makeStatusRequest } from './peer-node.js';
import { payloadAad, runUnitOutputSchema, signedStatusSchema, type NodeStatus } from './peer-protocol.js';
import { parseNodeKey } from './keys.js';
import { openPayload, sealPayload } from './seal.js';
import type { TrustedPeer, TrustList } from './trust.js';

export interface PeerClientOptions {
  identity: NodeIdentity;
  trusted: TrustList;
  registry: UnitRegistry;
  /** The trusted peer expected at `url`; unset for a discovered address, learnt from its signed status. */
  peer?: TrustedPeer | undefined;
  /** The peer's `/mesh` endpoint. */
  url: string;
  version: string;
}

export interface PeerHealth {
  reachable: boolean;
  latencyMs?: number | undefined;
  status?: NodeStatus | undefined;
  error?: string | undefined;
  checkedAt: number;
}

/** Reads a tool error's "[CODE] (reason) message" text back into a PrechewError. */
function peerError(text: string, peer: string): PrechewError {
  const m = /^\[([A-Z_]+)\](?: \(([a-z-]+)\))? ([\s\S]*)$/.exec(text);
  const message = `${peer}: ${m?.[3] ?? text}`.slice(0, 500);
  return new PrechewError(m?.[1] === 'PEER_REFUSED' ? 'PEER_REFUSED' : 'ENGINE_FAILED', message, {
    reason: m?.[2] ?? 'peer-error',
  });
}

export class PeerClient implements UnitBackend {
  readonly local = false;
  health: PeerHealth = { reachable: false, checkedAt: 0 };
  /** The trusted peer behind the URL, once known. */
  peer: TrustedPeer | undefined;
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;

  constructor(private readonly options: PeerClientOptions) {
    this.peer = options.peer;
  }

  get url(): string {
    return this.options.url;
  }

  get id(): string {
    return `peer:${this.peer?.name ?? this.options.url}`;
  }

  get label(): string {
    return this.peer?.name ?? new URL(this.options.url).host;
  }

  slots(): number {
    // The dispatcher counts what it has in flight here; other requesters' units show up as refusals.
    const status = this.health.status;
    return this.health.reachable && status?.accept.accepting ? status.slots.max : 0;
  }

  accepts(kind: string): boolean {
    return this.health.reachable && (this.health.status?.kinds.includes(kind) ?? false);
  }

  private async connect(): Promise<Client> {
    if (this.client) return this.client;
    this.connecting ??= (async () => {
      const client = new Client({ name: 'prechew-peer', version: this.options.version });
      await client.connect(new StreamableHTTPClientTransport(new URL(this.options.url)));
      this.client = client;
      return client;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async call(
    name: string,
    args: Record<string, unknown>,
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<unknown> {
    let client: Client;
    try {
      client = await this.connect();
    } catch {
      throw new PrechewError('ENGINE_UNAVAILABLE', `${this.label} is unreachable at ${this.options.url}.`, {
        reason: 'unreachable',
      });
    }
    let result;
    try {
      result = await client.callTool({ name, arguments: args }, { signal, timeout: timeoutMs });
    } catch (error) {
      // A broken connection is rebuilt on the next call.
      this.client = undefined;
      await client.close().catch(() => undefined);
      if (signal.aborted) throw error;
      throw new PrechewError(
        'ENGINE_UNAVAILABLE',
        `${this.label} did not answer (${(error as Error).name}).`,
        { reason: 'unreachable' },
      );
    }
    if (result.isError) {
      const text = Array.isArray(result.content)
        ? result.content.map((c) => ('text' in c ? String(c.text) : '')).join(' ')
        : '';
      throw peerError(text, this.label);
    }
    return result.structuredContent;
  }

  /**
   * Asks for the node's signed status. The answer must be signed by the key it names, and that key
   * must be trusted here (and be the expected peer's, when one is expected at this URL).
   */
  async checkStatus(timeoutMs = 10_000): Promise<PeerHealth> {
    const started = performance.now();
    const request = makeStatusRequest(this.options.identity);
    try {
      const raw = await this.call(
        PEER_TOOL_NODE_STATUS,
        { ...request },
        AbortSignal.timeout(timeoutMs),
        timeoutMs,
      );
      const signed = signedStatusSchema.parse(raw);
      const claimed = parseNodeKey(signed.status.nodeKey);
      const genuine =
        signed.status.requestNonce === request.nonce &&
        verify(
          null,
          Buffer.from(canonicalJson(signed.status)),
          claimed.signKey,
          Buffer.from(signed.signature, 'base64url'),
        );
      if (!genuine)
        throw new PrechewError(
          'PEER_REFUSED',
          `${this.label} answered with a status that is not validly signed.`,
          { reason: 'bad-signature' },
        );
      const trusted = this.options.trusted.bySigningKey(claimed.signPublic);
      if (!trusted)
        throw new PrechewError(
          'PEER_REFUSED',
          `The node at ${this.options.url} (fingerprint ${claimed.fingerprint}) is not trusted here.`,
          { reason: 'untrusted' },
        );
      if (this.peer && trusted.signPublic !== this.peer.signPublic) {
        throw new PrechewError(
          'PEER_REFUSED',
          `The node at ${this.options.url} is "${trusted.name}", not "${this.peer.name}".`,
          { reason: 'wrong-peer' },
        );
      }
      this.peer = trusted;
      this.health = {
        reachable: true,
        latencyMs: performance.now() - started,
        status: signed.status,
        checkedAt: Date.now(),
      };
    } catch (error) {
      this.health = { reachable: false, error: (error as Error).message, checkedAt: Date.now() };
    }
    return this.health;
  }

  async run(unit: Unit, ctx: BackendRunContext): Promise<unknown> {
    const { identity, registry, trusted } = this.options;
    const peer = this.peer;
    if (!peer)
      throw new PrechewError('ENGINE_UNAVAILABLE', `${this.label} has not proven its identity yet.`, {
        reason: 'unverified',
      });
    const spec = registry.require(unit.kind);
    const input = Buffer.from(canonicalJson(unit.input));
    const manifest = issueManifest(identity, {
      unitId: unit.id,
      kind: unit.kind,
      kindVersion: spec.version,
      input,
      deadlineMs: Math.max(1000, ctx.deadline - Date.now()),
      worker: peer.signPublic,
    });
    const digest = manifestDigest(manifest);
    const payload = sealPayload(peer.sealKey, input, payloadAad(digest, 'input')).toString('base64');
    const raw = await this.call(
      PEER_TOOL_RUN_UNIT,
      { manifest, payload },
      ctx.signal,
      Math.max(1000, ctx.deadline - Date.now()),
    );
    const reply = runUnitOutputSchema.safeParse(raw);
    if (!reply.success)
      throw new PrechewError('PEER_REFUSED', `${this.label} returned a malformed unit result.`, {
        reason: 'malformed',
      });
    verifyResultClaim(reply.data.result, { trusted, manifest, expectedWorker: peer.signPublic });
    const outputBytes = openPayload(
      identity.sealPrivate,
      identity.sealPublic,
      Buffer.from(reply.data.payload, 'base64'),
      payloadAad(digest, 'output'),
    );
    checkDigest(outputBytes, reply.data.result.claim.outputDigest, 'output');
    const output = spec.output.safeParse(JSON.parse(outputBytes.toString('utf8')));
    if (!output.success)
      throw new PrechewError(
        'PEER_REFUSED',
        `${this.label} returned output that does not match the "${unit.kind}" schema.`,
        { reason: 'bad-output' },
      );
    return output.data;
  }

  async close(): Promise<void> {
    await this.client?.close().catch(() => undefined);
    this.client = undefined;
  }
}
