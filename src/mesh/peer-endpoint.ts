/**
 * The `/mesh` MCP endpoint: only the peer tools `run-unit` and `node-status`, and every call must
 * carry a signature by a trusted node key (the bearer token of `/mcp` neither grants nor is needed
 * for anything here). Ordinary clients on `/mcp` never see these tools.
 */
import type http from 'node:http';
import { McpServer, createMcpHandler } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { toSafeError } from '../errors.js';
import { log } from '../log.js';
import {
  runUnitInputSchema,
  runUnitOutputSchema,
  signedStatusSchema,
  statusRequestSchema,
} from './peer-protocol.js';
import type { PeerNode } from './peer-node.js';

export const PEER_TOOL_RUN_UNIT = 'run-unit';
export const PEER_TOOL_NODE_STATUS = 'node-status';

function errorResult(error: unknown): {
  isError: true;
  content: Array<{ type: 'text'; text: string }>;
  structuredContent?: undefined;
} {
  const safe = toSafeError(error);
  const reason = typeof safe.details?.reason === 'string' ? ` (${safe.details.reason})` : '';
  return { isError: true, content: [{ type: 'text', text: `[${safe.code}]${reason} ${safe.message}` }] };
}

export function createPeerMcpServer(node: PeerNode, version: string): McpServer {
  const server = new McpServer({ name: 'prechew-mesh', version }, { capabilities: { tools: {} } });
  server.registerTool(
    PEER_TOOL_RUN_UNIT,
    {
      title: 'Run a unit for a trusted peer',
      description:
        'Peer-only: runs one signed, sealed unit of work. Refused unless the manifest is signed by a trusted node key.',
      inputSchema: runUnitInputSchema,
      outputSchema: runUnitOutputSchema,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    async (args, ctx) => {
      try {
        const reply = await node.runUnit(
          args.manifest,
          Buffer.from(args.payload, 'base64'),
          ctx.mcpReq.signal,
        );
        return {
          content: [{ type: 'text', text: `unit ${args.manifest.manifest.unitId} done` }],
          structuredContent: reply,
        };
      } catch (error) {
        return errorResult(error);
      }
    },
  );
  server.registerTool(
    PEER_TOOL_NODE_STATUS,
    {
      title: 'Signed node status for a trusted peer',
      description:
        'Peer-only: this node’s signed status (consent, free slots, unit kinds, models, counters).',
      inputSchema: statusRequestSchema,
      outputSchema: signedStatusSchema,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    (args) => {
      try {
        const signed = node.status(args);
        return {
          content: [
            {
              type: 'text',
              text: `${signed.status.name}: ${signed.status.accept.accepting ? 'accepting' : 'not accepting'}`,
            },
          ],
          structuredContent: signed,
        };
      } catch (error) {
        return errorResult(error);
      }
    },
  );
  return server;
}

/** A node:http handler for the `/mesh` endpoint (stateless Streamable HTTP). */
export function createPeerHttpHandler(
  node: PeerNode,
  version: string,
  maxBodyBytes: number,
): (req: http.IncomingMessage, res: http.ServerResponse, body?: unknown) => Promise<void> {
  const handler = createMcpHandler(() => createPeerMcpServer(node, version), {
    legacy: 'stateless',
    maxRequestBodySize: maxBodyBytes,
    onerror: (error) => log.debug('mesh endpoint error', { error }),
  });
  return toNodeHandler(handler) as (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    body?: unknown,
  ) => Promise<void>;
}
