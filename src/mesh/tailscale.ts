/**
 * Tailscale discovery: mDNS does not cross a tailnet, so when the `tailscale` CLI is on PATH we read
 * `tailscale status --json` and turn online peers (optionally only those with a given ACL tag) into
 * candidate prechew URLs on their MagicDNS names. A candidate is only an address: it must still be
 * trusted and answer a signed status check before any unit goes to it.
 */
import { execFile } from 'node:child_process';
import { z } from 'zod';
import type { PeerCandidate } from './candidates.js';

const peerSchema = z
  .object({
    HostName: z.string().default(''),
    DNSName: z.string().default(''),
    TailscaleIPs: z.array(z.string()).nullish(),
    Tags: z.array(z.string()).nullish(),
    Online: z.boolean().default(false),
    OS: z.string().optional(),
  })
  .loose();

const statusSchema = z
  .object({
    BackendState: z.string().optional(),
    Self: peerSchema.optional(),
    Peer: z.record(z.string(), peerSchema).nullish(),
  })
  .loose();

export interface TailscaleOptions {
  /** Only peers carrying this ACL tag (e.g. "tag:prechew"); unset: every online peer. */
  tag?: string | undefined;
  /** The port prechew listens on at the peers. */
  port: number;
}

export interface TailscaleDiscovery {
  candidates: PeerCandidate[];
  /** Why nothing was found, when that is the case ("tailscale is not running", …). */
  note?: string | undefined;
}

/** Turns `tailscale status --json` output into candidates; pure, so recorded outputs test it. */
export function parseTailscaleStatus(raw: string, options: TailscaleOptions): TailscaleDiscovery {
  let parsed: z.infer<typeof statusSchema>;
  try {
    parsed = statusSchema.parse(JSON.parse(raw));
  } catch {
    return {
      candidates: [],
      note: '`tailscale status --json` printed something that is not its status JSON',
    };
  }
  if (parsed.BackendState && parsed.BackendState !== 'Running') {
    return { candidates: [], note: `tailscale is ${parsed.BackendState.toLowerCase()}, not running` };
  }
  const candidates: PeerCandidate[] = [];
  for (const peer of Object.values(parsed.Peer ?? {})) {
    if (!peer.Online) continue;
    if (options.tag && !(peer.Tags ?? []).includes(options.tag)) continue;
    const dnsName = peer.DNSName.replace(/\.$/, '');
    const addresses = peer.TailscaleIPs ?? [];
    const host = dnsName || addresses[0];
    if (!host) continue;
    const urlHost = host.includes(':') ? `[${host}]` : host;
    candidates.push({
      source: 'tailscale',
      name: peer.HostName || dnsName.split('.')[0] || host,
      url: `http://${urlHost}:${options.port}/mesh`,
      addresses,
    });
  }
  candidates.sort((a, b) => a.name.localeCompare(b.name));
  return { candidates, note: candidates.length ? undefined : 'no online tailnet peer matched' };
}

/** Runs `tailscale status --json` (bounded in time and output) and parses it. */
export function discoverTailscalePeers(
  options: TailscaleOptions & { command?: string; timeoutMs?: number },
): Promise<TailscaleDiscovery> {
  const command = options.command ?? 'tailscale';
  return new Promise((resolve) => {
    execFile(
      command,
      ['status', '--json'],
      { timeout: options.timeoutMs ?? 5000, maxBuffer: 8 * 1024 * 1024, windowsHide: true },
      (error, stdout) => {
        if (error) {
          const code = (error as NodeJS.ErrnoException).code;
          const note =
            code === 'ENOENT'
              ? 'tailscale is not installed (not on PATH)'
              : `\`${command} status --json\` failed`;
          resolve({ candidates: [], note });
          return;
        }
        resolve(parseTailscaleStatus(stdout, options));
      },
    );
  });
}
