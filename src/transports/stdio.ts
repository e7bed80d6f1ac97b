/**
 * MCP over stdio (what Claude Desktop runs). stdout carries only protocol messages; everything
 * else goes to stderr. Resolves when the client closes stdin or a signal arrives.
 */
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { App } from '../app.js';
import { log } from '../log.js';
import { createMcpServer } from '../server.js';

export async function runStdio(app: App): Promise<void> {
  // The client started this process as its own user, so the roots it announces are its own to give.
  const handle = serveStdio(() => createMcpServer(app, { clientRoots: 'honour', transport: 'stdio' }), {
    onerror: (error) => log.warn('stdio transport error', { error }),
  });
  log.info('serving MCP over stdio');
  await new Promise<void>((resolve) => {
    let done = false;
    const finish = (why: string) => {
      if (done) return;
      done = true;
      log.info(`stdio session ending (${why})`);
      resolve();
    };
    process.stdin.once('end', () => finish('client closed stdin'));
    process.stdin.once('close', () => finish('stdin closed'));
    process.once('SIGINT', () => finish('SIGINT'));
    process.once('SIGTERM', () => finish('SIGTERM'));
  });
  await handle.close().catch(() => undefined);
}
