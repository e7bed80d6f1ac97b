/**
 * What every cloud call shares: the request/response shape prechew uses, and the one mapping
 * from provider SDK errors to PrechewErrors. Retries with exponential backoff on 408/409/429/5xx
 * (honouring `retry-after` and `retry-after-ms`) and per-request timeouts are done by the
 * official SDKs themselves (`maxRetries`, `timeout`); the code that does it was read in
 * @anthropic-ai/sdk 1.14 and openai 6.49 (`retryRequest`).
 */
import { PrechewError } from '../errors.js';

export interface ChatRequest {
  model: string;
  system?: string | undefined;
  user: string;
  maxTokens: number;
  signal?: AbortSignal | undefined;
}

export interface ChatResponse {
  text: string;
  /** The model that answered, as the provider reports it. */
  model: string;
  usage: { inputTokens: number; outputTokens: number };
  stopReason: string | undefined;
}

export interface ChatProvider {
  readonly name: 'anthropic' | 'openai' | 'openai-compatible';
  chat(request: ChatRequest): Promise<ChatResponse>;
}

export interface ProviderSettings {
  apiKey?: string | undefined;
  baseURL?: string | undefined;
  timeoutMs: number;
  maxRetries: number;
}

/** Map an SDK error to a PrechewError whose message says what to do; never echoes keys or bodies. */
export function providerError(
  error: unknown,
  label: string,
  signal: AbortSignal | undefined,
  keyVariable: string | undefined,
): PrechewError {
  if (error instanceof PrechewError) return error;
  const e = error as { name?: string; status?: number; message?: string };
  const name = e?.name ?? '';
  if (signal?.aborted || name === 'APIUserAbortError' || name === 'AbortError') {
    return new PrechewError('CANCELLED', 'The request was cancelled before it finished.');
  }
  if (name === 'APIConnectionTimeoutError') {
    return new PrechewError(
      'TIMEOUT',
      `${label} did not answer in time (cloud.timeoutMs, retries included). Try again, or raise cloud.timeoutMs.`,
    );
  }
  if (name === 'APIConnectionError') {
    return new PrechewError(
      'PROVIDER_ERROR',
      `Could not reach ${label}: check the network and the base URL (cloud.*.baseURL).`,
    );
  }
  const status = typeof e?.status === 'number' ? e.status : undefined;
  switch (status) {
    case 401:
      return new PrechewError(
        'PROVIDER_ERROR',
        `${label} rejected the API key (401 Unauthorized): check ${keyVariable ?? 'the API key'}.`,
        { status },
      );
    case 403:
      return new PrechewError(
        'PROVIDER_ERROR',
        `${label} refused the request (403 Forbidden): the key may lack access to this model.`,
        { status },
      );
    case 404:
      return new PrechewError(
        'PROVIDER_ERROR',
        `${label} does not know this model or endpoint (404): check the model name and base URL.`,
        { status },
      );
    case 400:
    case 413:
    case 422:
      return new PrechewError(
        'PROVIDER_ERROR',
        `${label} rejected the request (${status}): ${safeDetail(e?.message)}`,
        { status },
      );
    case 429:
      return new PrechewError(
        'PROVIDER_ERROR',
        `${label} is rate-limiting this key (429) and retries ran out: wait and try again, or raise cloud.maxRetries.`,
        { status },
      );
    default:
      if (status !== undefined && status >= 500) {
        return new PrechewError(
          'PROVIDER_ERROR',
          `${label} had a server error (${status}) and retries ran out: try again later.`,
          { status },
        );
      }
      return new PrechewError(
        'PROVIDER_ERROR',
        `${label} call failed${status ? ` (${status})` : ''}.`,
        status ? { status } : undefined,
      );
  }
}

/** A short, single-line provider message with anything key-like masked. */
function safeDetail(message: string | undefined): string {
  const line = (message ?? '').split('\n')[0] ?? '';
  return line.replace(/\b(sk|key|token)[-_A-Za-z0-9]{8,}/gi, '***').slice(0, 200) || 'no detail given';
}

/**
 * Settle as soon as the signal fires, even while an SDK sleeps between retries (openai 6 does
 * not pass the signal to its backoff sleep); the SDK call itself is aborted through the same signal.
 */
export function withAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    // The SDK call was already made (and fails with its own abort error): observe that rejection,
    // or it surfaces as an unhandled one.
    promise.catch(() => undefined);
    return Promise.reject(new PrechewError('CANCELLED', 'The request was cancelled before it finished.'));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void =>
      reject(new PrechewError('CANCELLED', 'The request was cancelled before it finished.'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
