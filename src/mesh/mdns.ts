/**
 * LAN discovery over mDNS/DNS-SD: a node advertises `_prechew._tcp` with a TXT record (key
 * fingerprint, version, unit kinds, endpoint path) and browses for others. A listing is only a
 * candidate address: mDNS keeps listing a node that was killed until its record expires, so
 * liveness comes from the signed `node-status` check, never from the listing.
 *
 * bonjour-service is loaded on first use, so nodes that never enable mDNS do not pay for it.
 */
import type { PeerCandidate } from './candidates.js';

export const MDNS_SERVICE_TYPE = 'prechew';

export interface MdnsAdvertisement {
  name: string;
  port: number;
  fingerprint: string;
  version: string;
  kinds: string[];
}

export interface MdnsOptions {
  /** Interface address to send and receive multicast on (default: all). */
  interface?: string | undefined;
}

export interface MdnsHandle {
  /** Candidates seen so far (deduplicated by URL). */
  candidates(): PeerCandidate[];
  stop(): Promise<void>;
}

type BonjourModule = typeof import('bonjour-service');
type BonjourInstance = InstanceType<BonjourModule['Bonjour']>;

async function loadBonjour(options: MdnsOptions): Promise<BonjourInstance> {
  const { Bonjour } = await import('bonjour-service');
  // Multicast membership and sending go through the chosen interface; the socket itself binds the
  // wildcard address, since on Linux a socket bound to a unicast address never sees multicast.
  const opts = options.interface
    ? ({ interface: options.interface, bind: '0.0.0.0' } as Record<string, unknown>)
    : {};
  return new Bonjour(opts as never, () => undefined);
}

/** TXT strings are at most 255 bytes each: the kinds list is cut to fit, never split mid-name. */
export function txtFor(ad: MdnsAdvertisement): Record<string, string> {
  let kinds = '';
  for (const kind of ad.kinds) {
    const next = kinds ? `${kinds},${kind}` : kind;
    if (Buffer.byteLength(`kinds=${next}`) > 255) break;
    kinds = next;
  }
  return { fp: ad.fingerprint, v: ad.version, kinds, path: '/mesh' };
}

export function candidateFromService(service: {
  name: string;
  port: number;
  addresses?: string[] | undefined;
  referer?: { address: string } | undefined;
  host?: string;
  txt?: unknown;
}): PeerCandidate | undefined {
  const txt = (service.txt ?? {}) as Record<string, unknown>;
  const addresses = [...(service.addresses ?? [])];
  if (service.referer?.address && !addresses.includes(service.referer.address))
    addresses.push(service.referer.address);
  // Prefer the address the answer came from, then IPv4, then anything.
  const host = service.referer?.address ?? addresses.find((a) => !a.includes(':')) ?? addresses[0];
  if (!host || !service.port) return undefined;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const path = typeof txt.path === 'string' && txt.path.startsWith('/') ? txt.path : '/mesh';
  return {
    source: 'mdns',
    name: service.name,
    url: `http://${urlHost}:${service.port}${path}`,
    addresses,
    advertised: {
      fingerprint: typeof txt.fp === 'string' ? txt.fp : undefined,
      version: typeof txt.v === 'string' ? txt.v : undefined,
      kinds: typeof txt.kinds === 'string' && txt.kinds ? txt.kinds.split(',') : undefined,
    },
  };
}

/** Advertises this node and browses for others until stopped. */
export async function startMdns(
  ad: MdnsAdvertisement | undefined,
  options: MdnsOptions = {},
): Promise<MdnsHandle> {
  const bonjour = await loadBonjour(options);
  if (ad)
    bonjour.publish({
      name: ad.name,
      type: MDNS_SERVICE_TYPE,
      protocol: 'tcp',
      port: ad.port,
      txt: txtFor(ad),
      disableIPv6: true,
    });
  const seen = new Map<string, PeerCandidate>();
  const browser = bonjour.find({ type: MDNS_SERVICE_TYPE, protocol: 'tcp' }, (service) => {
    const candidate = candidateFromService(service as never);
    if (candidate && candidate.advertised?.fingerprint !== ad?.fingerprint)
      seen.set(candidate.url, candidate);
  });
  browser.on('down', (service) => {
    const candidate = candidateFromService(service as never);
    if (candidate) seen.delete(candidate.url);
  });
  return {
    candidates: () => [...seen.values()],
    stop: () =>
      new Promise<void>((resolve) => {
        browser.stop();
        bonjour.unpublishAll(() => bonjour.destroy(() => resolve()));
      }),
  };
}
