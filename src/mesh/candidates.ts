/**
 * A discovered peer address. Discovery (static config, mDNS, Tailscale) only ever produces
 * candidates: a candidate becomes a peer once its signed status shows a trusted key.
 */
export type DiscoverySource = 'static' | 'mdns' | 'tailscale';

export interface PeerCandidate {
  source: DiscoverySource;
  /** A name for display (host name, mDNS instance name or the configured URL's host). */
  name: string;
  /** The peer's mesh endpoint (`/mesh` on its HTTP server). */
  url: string;
  addresses: string[];
  /** What the peer advertised about itself (mDNS TXT); unverified until its signed status agrees. */
  advertised?:
    | { fingerprint?: string | undefined; version?: string | undefined; kinds?: string[] | undefined }
    | undefined;
}

/** Merges candidate lists: one entry per URL, the first source listed wins. */
export function mergeCandidates(...lists: PeerCandidate[][]): PeerCandidate[] {
  const byUrl = new Map<string, PeerCandidate>();
  for (const list of lists) for (const c of list) if (!byUrl.has(c.url)) byUrl.set(c.url, c);
  return [...byUrl.values()];
}

/** Static peers from `mesh.peers`: other nodes' base URLs (`http://desk.local:7777`); `/mesh` is their endpoint. */
export function staticCandidates(urls: readonly string[]): PeerCandidate[] {
  return urls.map((raw) => {
    const url = new URL(raw);
    if (url.pathname === '/' || url.pathname === '' || url.pathname === '/mcp') url.pathname = '/mesh';
    return { source: 'static' as const, name: url.host, url: url.toString(), addresses: [url.hostname] };
  });
}
