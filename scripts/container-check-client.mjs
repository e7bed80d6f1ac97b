/* global process, console, setTimeout, URL */
// Used by scripts/container-check.sh: calls a prechew node over Streamable HTTP with its bearer
// token — tools/list, then redact — and prints one JSON line. Usage: node ... URL TOKEN
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

const [url, token] = process.argv.slice(2);
setTimeout(() => {
  console.error('container-check client: no answer within 30 s');
  process.exit(1);
}, 30_000).unref();
const client = new Client({ name: 'container-check', version: '1' });
await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
const { tools } = await client.listTools();
const result = await client.callTool({ name: 'redact', arguments: { text: 'Mail jane.doe@example.com today.' } });
const text = result.content?.map((c) => c.text ?? '').join('') ?? '';
await client.close();
console.log(JSON.stringify({ tools: tools.length, redactIsError: Boolean(result.isError), redacted: !text.includes('jane.doe@example.com') && text.includes('EMAIL') }));
