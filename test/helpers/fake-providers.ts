/**
 * A loopback HTTP server speaking the Anthropic Messages API (POST /v1/messages) and OpenAI Chat
 * Completions (POST /v1/chat/completions) wire formats, for tests that drive the official SDKs.
 * Records every request; responses can be scripted (status, headers, body) per request, e.g. a
 * 429 with retry-after then a 200, or a 401.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: unknown;
}

export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  /** JSON body; default is a provider-shaped error for non-2xx statuses. */
  body?: unknown;
}

export interface FakeProviders {
  /** Base URL for the Anthropic SDK (it appends /v1/messages). */
  anthropicURL: string;
  /** Base URL for the OpenAI SDK (it appends /chat/completions). */
  openaiURL: string;
  requests: RecordedRequest[];
  /** Responses used, in order, before falling back to the answer. */
  script: ScriptedResponse[];
  /** Text the model "answers"; a function receives the request's user message. */
  answer: string | ((userMessage: string) => string);
  usage: { input: number; output: number };
  /** Hold each answer this long (a slow model); a request whose client goes away meanwhile is counted in `abandoned`. */
  delayMs: number;
  abandoned: number;
  close(): Promise<void>;
}

function errorBody(path: string, status: number): unknown {
  const message = status === 401 ? 'invalid x-api-key' : status === 429 ? 'rate limited' : 'error';
  return path.includes('/messages')
    ? {
        type: 'error',
        error: {
          type: status === 401 ? 'authentication_error' : status === 429 ? 'rate_limit_error' : 'api_error',
          message,
        },
      }
    : {
        error: {
          message,
          type: status === 401 ? 'invalid_request_error' : 'requests',
          code: status === 401 ? 'invalid_api_key' : null,
        },
      };
}

function userMessage(json: unknown): string {
  const messages = (json as { messages?: Array<{ role: string; content: unknown }> })?.messages ?? [];
  const last = [...messages].reverse().find((m) => m.role === 'user');
  const content = last?.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((c: { text?: string }) => c.text ?? '').join('');
  return '';
}

export async function startFakeProviders(): Promise<FakeProviders> {
  const state: Omit<FakeProviders, 'anthropicURL' | 'openaiURL' | 'close'> = {
    requests: [],
    script: [],
    answer: 'ok',
    usage: { input: 1234, output: 56 },
    delayMs: 0,
    abandoned: 0,
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
      const path = req.url ?? '';
      state.requests.push({ method: req.method ?? '', path, headers: req.headers, body, json });
      const sendNow = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(payload));
      };
      const send = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
        if (state.delayMs <= 0) return sendNow(status, payload, headers);
        const timer = setTimeout(() => sendNow(status, payload, headers), state.delayMs);
        res.once('close', () => {
          if (!res.writableEnded) {
            clearTimeout(timer);
            state.abandoned++;
          }
        });
      };
      const scripted = state.script.shift();
      if (scripted && (scripted.status < 200 || scripted.status >= 300)) {
        send(scripted.status, scripted.body ?? errorBody(path, scripted.status), scripted.headers);
        return;
      }
      const model = (json as { model?: string })?.model ?? 'unknown';
      const text = typeof state.answer === 'function' ? state.answer(userMessage(json)) : state.answer;
      if (req.method === 'POST' && path.endsWith('/v1/messages')) {
        send(
          200,
          scripted?.body ?? {
            id: 'msg_fake',
            type: 'message',
            role: 'assistant',
            model,
            content: [{ type: 'text', text }],
            stop_reason: 'end_turn',
            stop_sequence: null,
            usage: { input_tokens: state.usage.input, output_tokens: state.usage.output },
          },
          scripted?.headers,
        );
      } else if (req.method === 'POST' && path.endsWith('/chat/completions')) {
        send(
          200,
          scripted?.body ?? {
            id: 'chatcmpl-fake',
            object: 'chat.completion',
            created: 1_700_000_000,
            model,
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: text, refusal: null },
                finish_reason: 'stop',
                logprobs: null,
              },
            ],
            usage: {
              prompt_tokens: state.usage.input,
              completion_tokens: state.usage.output,
              total_tokens: state.usage.input + state.usage.output,
            },
          },
          scripted?.headers,
        );
      } else {
        send(404, { error: { message: `no route ${req.method} ${path}` } });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const fake = state as FakeProviders;
  fake.anthropicURL = `http://127.0.0.1:${port}`;
  fake.openaiURL = `http://127.0.0.1:${port}/v1`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}
