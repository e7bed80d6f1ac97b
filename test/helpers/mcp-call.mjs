/* global process, URL */
// Calls one MCP tool over Streamable HTTP from wherever it runs (e.g. inside a network namespace,
// where the test process itself cannot connect). Reads {url, tool, args, timeoutMs} as JSON on
// stdin; writes one JSON line per progress message, then {"result": …} or {"error": …}.
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

let input = '';
for await (const chunk of process.stdin) input += chunk;
const { url, tool, args, timeoutMs } = JSON.parse(input);
const client = new Client({ name: 'prechew-netns-call', version: '1.0.0' });
try {
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  const r = await client.callTool(
    { name: tool, arguments: args },
    { timeout: timeoutMs ?? 120_000, onprogress: (p) => process.stdout.write(JSON.stringify({ progress: p.message ?? '' }) + '\n') },
  );
  process.stdout.write(JSON.stringify({ result: r.structuredContent, isError: r.isError ?? false, content: r.isError ? r.content : undefined }) + '\n');
} catch (error) {
  process.stdout.write(JSON.stringify({ error: String(error?.message ?? error) }) + '\n');
} finally {
  await client.close().catch(() => {});
}
