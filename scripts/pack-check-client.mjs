/* global process, console, setTimeout, clearTimeout */
// Used by scripts/pack-check.sh inside the temp install: lists the tools of the installed
// `prechew` over stdio with the MCP client SDK (a dependency of prechew, so it is installed too),
// and calls one model-free tool. Prints one JSON line; exits non-zero on any failure.
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';

const bin = process.argv[2];
const transport = new StdioClientTransport({ command: bin, args: ['serve', '--stdio'], stderr: 'ignore' });
const client = new Client({ name: 'pack-check', version: '1' });
const timer = setTimeout(() => {
  console.error('pack-check client: no answer within 30 s');
  process.exit(1);
}, 30_000);
await client.connect(transport);
const { tools } = await client.listTools();
const result = await client.callTool({ name: 'redact', arguments: { text: 'Mail jane.doe@example.com today.' } });
const text = result.content?.map((c) => c.text ?? '').join('') ?? '';
await client.close();
clearTimeout(timer);
console.log(JSON.stringify({ tools: tools.map((t) => t.name), redactIsError: Boolean(result.isError), redacted: !text.includes('jane.doe@example.com') }));
