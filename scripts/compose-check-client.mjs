/* global process, console, setTimeout, URL */
// Used by scripts/compose-check.sh: calls extract-entities (all types) on a prechew node over Streamable HTTP
// with its bearer token, once with offload "off" and once with offload "auto", on a generated text
// large enough for many units, and prints one JSON line: whether both results are equal, the unit
// count, and the progress messages of the offloaded run. Usage: node ... URL TOKEN [LINES]
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

const [url, token, linesArg] = process.argv.slice(2);
// 29,000 lines are 3.4 MB: four units of all entity types (seconds each), under the default
// server.maxBodyBytes (4 MiB). Units that take a fraction of a second would all finish here
// before a queued one came back (the local node re-runs a straggler).
const lines = Number(linesArg ?? 29000);
setTimeout(() => {
  console.error('compose-check client: no answer within 240 s');
  process.exit(1);
}, 240_000).unref();

const out = [];
for (let i = 0; i < lines; i++)
  out.push(`Ticket ${i}: Jane Miller from Acme Corp in Berlin wrote to user${i}@example.org on March 3, 2024 about order ${i * 7}.\n`);
const text = out.join('\n');

async function run(offload) {
  const client = new Client({ name: 'compose-check', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  const progress = [];
  const t0 = Date.now();
  try {
    const r = await client.callTool(
      { name: 'extract-entities', arguments: { text, offload } },
      { onprogress: (p) => progress.push(p.message ?? ''), timeout: 200_000, resetTimeoutOnProgress: true },
    );
    if (r.isError) throw new Error(`extract-entities (offload ${offload}) failed: ${JSON.stringify(r.content)}`);
    return { content: r.structuredContent, progress, ms: Date.now() - t0 };
  } finally {
    await client.close();
  }
}

const local = await run('off');
const meshed = await run('auto');
// The entities must be the same; fields that describe where or how the work ran may differ.
const entities = (c) => JSON.stringify({ total: c?.total, counts: c?.counts, entities: c?.entities });
// "extracted unit 3 of 4 on JetStream": where each unit ran, as the dispatcher reports it.
const where = [...new Set(meshed.progress.map((m) => / on (.+)$/.exec(m)?.[1]).filter(Boolean))];
console.log(
  JSON.stringify({
    equal: entities(local.content) === entities(meshed.content),
    total: local.content?.total,
    counts: local.content?.counts,
    units: meshed.content?.units,
    onJetStream: where.some((w) => w.includes('JetStream')),
    ranOn: where,
    localMs: local.ms,
    meshMs: meshed.ms,
    lastProgress: meshed.progress.at(-1),
  }),
);
