/**
 * MCP over stdio (what Claude Desktop runs). stdout carries only protocol messages; everything
 * else goes to stderr. Resolves when the client closes stdin or a signal arrives.
 */
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { App } from '../app.js';
import { log } from '../log.js';
import { createMcpServer } from '../server.js';
import { openedTaskManager } from '../jobs/tasks.js';

export async function runStdio(app: App): Promise<void> {
  // The client started this process as its own user, so the roots it announces are its own to give.
  const handle = serveStdio(() => createMcpServer(app, { clientRoots: 'honour', transport: 'stdio' }), {
    onerror: (error) => log.warn('stdio transport error', { error }),
  });
  log.info('serving MCP over stdio');
  const why = await new Promise<string>((resolve) => {
    let done = false;
    const finish = (why: string) => {
      if (done) return;
      done = true;
      log.info(`stdio session ending (${why})`);
      resolve(why);
    };
    process.stdin.once('end', () => finish('client closed stdin'));
    process.stdin.once('close', () => finish('stdin closed'));
    process.once('SIGINT', () => finish('SIGINT'));
    process.once('SIGTERM', () => finish('SIGTERM'));
  });
  await handle.close().catch(() => undefined);
  // The client went away (a restart, a reconnect): tasks it started finish so a new session can
  // fetch their results. A signal still ends the process at once.
  const tasks = openedTaskManager(app);
  if (tasks && tasks.runningCount() > 0 && !why.startsWith('SIG')) {
    log.info(`finishing ${tasks.runningCount()} running task(s) before exiting; their results stay in the data dir`);
    let onSignal: (() => void) | undefined;
    await Promise.race([
      tasks.drain(app.config.jobs.taskTtlMs),
      new Promise<void>((resolve) => {
        onSignal = resolve;
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      }),
    ]);
    if (onSignal) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}
