/**
 * A JetStream worker in its own process, for the benchmark's SIGKILL figure: joins the hub named in
 * PRECHEW_BENCH_CHILD, takes `bench.sleep` units, prints "ready" once registered.
 */
import { UnitRegistry } from '../src/jobs/registry.js';
import { ConsentGate, DEFAULT_CONSENT } from '../src/mesh/consent.js';
import { loadOrCreateIdentity } from '../src/mesh/identity.js';
import { NatsMesh } from '../src/mesh/nats/index.js';
import { TrustList } from '../src/mesh/trust.js';
import { WorkerPolicy } from '../src/mesh/worker-policy.js';
import { sleepKind } from './nats-harness.js';

const settings = JSON.parse(process.env.PRECHEW_BENCH_CHILD ?? '{}') as {
  url: string;
  dataDir: string;
  trusted: Array<{ name: string; key: string }>;
  ackWaitMs: number;
};
const registry = new UnitRegistry().register(sleepKind);
await NatsMesh.start({
  nats: { url: settings.url, ackWaitMs: settings.ackWaitMs, maxDeliver: 4, objectThresholdBytes: 512 * 1024, maxInFlight: 16, heartbeatSeconds: 1 },
  identity: loadOrCreateIdentity(settings.dataDir),
  trust: new TrustList(settings.trusted),
  registry,
  consent: new ConsentGate({ ...DEFAULT_CONSENT, accept: 'always' }),
  policy: new WorkerPolicy({ kinds: [], maxConcurrent: 1, maxUnitBytes: 1024 * 1024, perPeerPerMinute: 1_000_000 }),
  name: 'doomed',
  version: 'bench',
  verify: 'none',
  maxSkewMs: 60_000,
  work: true,
  offload: false,
  models: () => ({}),
});
process.stdout.write('ready\n');
