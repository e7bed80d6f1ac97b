/**
 * Network namespaces for tests that must not touch the machine's real interfaces (mDNS sends
 * multicast; link-down faults need a link to cut). Two namespaces joined by a veth pair, each end
 * with an address in 10.231.<n>.0/24 and a multicast route. Needs root and iproute2; `netnsSupport`
 * says why not when they are missing, so the test can skip with that reason.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface NetnsPair {
  names: [string, string];
  addresses: [string, string];
  devices: [string, string];
  /** Takes one side's link down (or up again). */
  setLink(side: 0 | 1, up: boolean): void;
  destroy(): void;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function netnsSupport(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  try {
    const probe = `pcprobe${randomBytes(3).toString('hex')}`;
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
    return undefined;
  } catch (error) {
    return `ip netns is not permitted here (${(error as Error).message.split('\n')[0]})`;
  }
}

export function createNetnsPair(): NetnsPair {
  const tag = randomBytes(3).toString('hex');
  const subnet = 100 + (parseInt(tag.slice(0, 2), 16) % 100);
  const names: [string, string] = [`pca${tag}`, `pcb${tag}`];
  const devices: [string, string] = [`va${tag}`, `vb${tag}`];
  const addresses: [string, string] = [`10.231.${subnet}.1`, `10.231.${subnet}.2`];
  for (const n of names) ip('netns', 'add', n);
  try {
    ip('link', 'add', devices[0], 'type', 'veth', 'peer', 'name', devices[1]);
    for (const side of [0, 1] as const) {
      ip('link', 'set', devices[side], 'netns', names[side]);
      ip('-n', names[side], 'addr', 'add', `${addresses[side]}/24`, 'dev', devices[side]);
      ip('-n', names[side], 'link', 'set', devices[side], 'up', 'multicast', 'on');
      ip('-n', names[side], 'link', 'set', 'lo', 'up');
      ip('-n', names[side], 'route', 'add', '224.0.0.0/4', 'dev', devices[side]);
    }
  } catch (error) {
    for (const n of names) {
      try {
        ip('netns', 'del', n);
      } catch {
        // already gone
      }
    }
    throw error;
  }
  return {
    names,
    addresses,
    devices,
    setLink: (side, up) => ip('-n', names[side], 'link', 'set', devices[side], up ? 'up' : 'down'),
    destroy: () => {
      for (const n of names) {
        try {
          ip('netns', 'del', n);
        } catch {
          // already gone
        }
      }
    },
  };
}
