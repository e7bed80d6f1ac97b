/**
 * GPT through the official SDK's Chat Completions API; with a baseURL, any OpenAI-compatible
 * server (llama.cpp server, Ollama, LM Studio, a corporate gateway).
 */
import type OpenAI from 'openai';
import { PrechewError } from '../errors.js';
import {
  providerError,
  withAbort,
  type ChatProvider,
  type ChatRequest,
  type ChatResponse,
  type ProviderSettings,
} from './retry.js';

export const OPENAI_KEY_VARIABLE = 'OPENAI_API_KEY';
export const COMPAT_KEY_VARIABLE = 'PRECHEW_COMPAT_API_KEY';
export const DEFAULT_OPENAI_MODEL = 'gpt-5-mini';

export function createOpenAiProvider(settings: ProviderSettings, compatible = false): ChatProvider {
  const label = compatible ? 'The OpenAI-compatible server' : 'OpenAI';
  if (compatible && !settings.baseURL) {
    throw new PrechewError(
      'INVALID_INPUT',
      'provider "openai-compatible" needs a server address: set PRECHEW_COMPAT_BASE_URL (or cloud.openaiCompatible.baseURL), e.g. http://127.0.0.1:11434/v1.',
    );
  }
  if (!compatible && !settings.apiKey) {
    throw new PrechewError(
      'MISSING_API_KEY',
      `No OpenAI API key: set ${OPENAI_KEY_VARIABLE} (or cloud.openai.apiKey in the config).`,
    );
  }
  // The SDK loads on the first call, not when prechew starts.
  let client: Promise<OpenAI> | undefined;
  const getClient = (): Promise<OpenAI> =>
    (client ??= import('openai').then(
      ({ default: OpenAIClient }) =>
        new OpenAIClient({
          // Local compatible servers usually ignore the key, but the SDK requires one.
          apiKey: settings.apiKey ?? 'not-needed',
          ...(settings.baseURL ? { baseURL: settings.baseURL } : {}),
          timeout: settings.timeoutMs,
          maxRetries: settings.maxRetries,
        }),
    ));
  return {
    name: compatible ? 'openai-compatible' : 'openai',
    async chat(request: ChatRequest): Promise<ChatResponse> {
      try {
        const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [];
        if (request.system) messages.push({ role: 'system', content: request.system });
        messages.push({ role: 'user', content: request.user });
        const sdk = await getClient();
        const completion = await withAbort(
          sdk.chat.completions.create(
            // Compatible servers (llama.cpp, Ollama) know the older max_tokens; OpenAI wants max_completion_tokens.
            compatible
              ? { model: request.model, messages, max_tokens: request.maxTokens }
              : { model: request.model, messages, max_completion_tokens: request.maxTokens },
            { signal: request.signal },
          ),
          request.signal,
        );
        const choice = completion.choices[0];
        return {
          text: choice?.message.content ?? '',
          model: completion.model,
          usage: {
            inputTokens: completion.usage?.prompt_tokens ?? 0,
            outputTokens: completion.usage?.completion_tokens ?? 0,
          },
          stopReason: choice?.finish_reason ?? undefined,
        };
      } catch (error) {
        throw providerError(
          error,
          label,
          request.signal,
          compatible ? COMPAT_KEY_VARIABLE : OPENAI_KEY_VARIABLE,
        );
      }
    },
  };
}
