/**
 * The baseline for `npm run bench -- mcp`: a bare MCP SDK v2 server with one tool,
 * `extract-entities`, that calls the same engine function prechew's tool calls
 * (text/entities.ts `extractEntities`) and returns its result as JSON text and structured
 * content — no config, cache, pagination, rendering or guards. Served over the same SDK
 * transports prechew uses: `serveStdio` for stdio; over HTTP, a NodeStreamableHTTPServerTransport
 * session for 2025-era clients that initialize, and createMcpHandler for everything else.
 *
 * Usage: node dist/bench/bare-server.js stdio | http | http-resumable   (http prints "listening on
 * <url>" on stderr). `http-resumable` gives 2025-era sessions the same resumable SSE as prechew's
 * (its bounded event store and a retry interval): a priming event and a stored copy per response.
 */
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { McpServer, createMcpHandler } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { NodeStreamableHTTPServerTransport, toNodeHandler } from '@modelcontextprotocol/node';
import { z } from 'zod';
import { extractEntities } from '../src/text/entities.js';
import { MemoryEventStore } from '../src/transports/http.js';

function createBareServer(): McpServer {
  const server = new McpServer({ name: 'bare', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.registerTool(
    'extract-entities',
    { description: 'Entities in a text.', inputSchema: z.object({ text: z.string() }) },
    async ({ text }) => {
      const result = extractEntities(text);
      return { content: [{ type: 'text' as const, text: JSON.stringify(result) }], structuredContent: result as unknown as Record<string, unknown> };
    },
  );
  return server;
}

function isInitialize(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { method?: unknown }).method === 'initialize';
}

async function serveHttp(resumable: boolean): Promise<void> {
  const modern = toNodeHandler(createMcpHandler(createBareServer, { legacy: 'stateless' }));
  const sessions = new Map<string, NodeStreamableHTTPServerTransport>();
  const server = http.createServer((req, res) => {
    void (async () => {
      const id = req.headers['mcp-session-id'];
      if (req.method !== 'POST') {
        const session = typeof id === 'string' ? sessions.get(id) : undefined;
        if (session) return session.handleRequest(req, res);
        return modern(req, res);
      }
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (typeof id === 'string') {
        const session = sessions.get(id);
        if (!session) {
          res.writeHead(404).end();
          return;
        }
        return session.handleRequest(req, res, body);
      }
      if (isInitialize(body)) {
        const transport = new NodeStreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          ...(resumable ? { eventStore: new MemoryEventStore(8 * 1024 * 1024), retryInterval: 1000 } : {}),
          onsessioninitialized: (sid) => void sessions.set(sid, transport),
          onsessionclosed: (sid) => void sessions.delete(sid),
        });
        await createBareServer().connect(transport);
        return transport.handleRequest(req, res, body);
      }
      return modern(req, res, body);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.stderr.write(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp\n`);
  process.once('SIGTERM', () => process.exit(0));
}

if (process.argv[2] === 'http' || process.argv[2] === 'http-resumable') await serveHttp(process.argv[2] === 'http-resumable');
else serveStdio(createBareServer);
