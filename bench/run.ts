/**
 * `npm run bench [-- name ...]`: runs each benchmark and prints its figures. Benchmarks print
 * nothing themselves and assert nothing; figures compare against a baseline run in the same process.
 */
type Bench = () => Promise<Record<string, number | string>>;

const suites: Array<[name: string, load: () => Promise<Bench>]> = [
  ['dedupe', async () => (await import('./dedupe.js')).benchDedupe],
  ['entities', async () => (await import('./entities.js')).benchEntities],
  ['entities-quality', async () => (await import('./entities.js')).benchEntityQuality],
  ['mcp', async () => (await import('./mcp.js')).benchMcp],
  ['startup', async () => (await import('./startup.js')).benchStartup],
  ['convert', async () => (await import('./convert.js')).benchConvert],
  ['convert-office', async () => (await import('./convert-office.js')).benchConvertOffice],
  ['summarize', async () => (await import('./summarize.js')).benchSummarize],
  ['llm', async () => (await import('./llm.js')).benchLlm],
  ['transcribe', async () => (await import('./transcribe.js')).benchTranscribe],
  ['condense', async () => (await import('./condense.js')).benchCondense],
  ['mesh', async () => (await import('./mesh.js')).benchMesh],
  // `bench -- mesh` runs both: the direct peers above, then the JetStream transport.
  ['mesh', async () => (await import('./mesh-nats.js')).benchMeshNats],
  ['adversarial', async () => (await import('./adversarial.js')).benchAdversarial],
  ['privacy', async () => (await import('./privacy.js')).benchPrivacy],
  ['tasks', async () => (await import('./tasks.js')).benchTasks],
  ['ledger', async () => (await import('./ledger.js')).benchLedger],
];

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  let failures = 0;
  for (const [name, load] of suites) {
    if (wanted.length && !wanted.includes(name)) continue;
    process.stdout.write(`\n== ${name} ==\n`);
    const started = performance.now();
    try {
      const figures = await (await load())();
      const width = Math.max(...Object.keys(figures).map((k) => k.length));
      for (const [k, v] of Object.entries(figures)) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
      process.stdout.write(`  (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
    } catch (error) {
      failures++;
      process.stdout.write(`  failed: ${(error as Error).message}\n`);
    }
  }
  process.exitCode = failures ? 1 : 0;
}

await main();
