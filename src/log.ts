/**
 * Logging to stderr only: stdout is the MCP protocol channel in stdio mode.
 * Secrets are scrubbed by key name before anything is written.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

let threshold: LogLevel = 'info';
const secretKey = /token|secret|password|api[_-]?key|authorization|vault[_-]?key/i;

export function setLogLevel(level: LogLevel): void {
  threshold = level;
}

// user:password@ inside a URL (a provider base URL, a proxy) is a secret too.
const urlUserinfo = /\/\/[^/@\s:]+:[^/@\s]*@/g;

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(urlUserinfo, '//***:***@');
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error)
    return { name: value.name, message: value.message.replace(urlUserinfo, '//***:***@') };
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = secretKey.test(k) ? '***' : scrub(v, depth + 1);
  return out;
}

function write(level: LogLevel, message: string, fields?: Record<string, unknown>): void {
  if (order[level] < order[threshold]) return;
  const extra = fields ? ' ' + JSON.stringify(scrub(fields)) : '';
  process.stderr.write(`[prechew] ${level} ${message.replace(urlUserinfo, '//***:***@')}${extra}\n`);
}

export const log = {
  debug: (m: string, f?: Record<string, unknown>) => write('debug', m, f),
  info: (m: string, f?: Record<string, unknown>) => write('info', m, f),
  warn: (m: string, f?: Record<string, unknown>) => write('warn', m, f),
  error: (m: string, f?: Record<string, unknown>) => write('error', m, f),
};
