/** Claude through the official SDK's Messages API. */
import type Anthropic from '@anthropic-ai/sdk';
import { PrechewError } from '../errors.js';
import {
  providerError,
  withAbort,
  type ChatProvider,
  type ChatRequest,
  type ChatResponse,
  type ProviderSettings,
} from './retry.js';

export const ANTHROPIC_KEY_VARIABLE = 'ANTHROPIC_API_KEY';
export const DEFAULT_ANTHROPIC_MODEL = 'claude-sonnet-4-5';

export function createAnthropicProvider(settings: ProviderSettings): ChatProvider {
  if (!settings.apiKey) {
    throw new PrechewError(
      'MISSING_API_KEY',
      `No Anthropic API key: set ${ANTHROPIC_KEY_VARIABLE} (or cloud.anthropic.apiKey in the config).`,
    );
  }
  // The SDK (over a thousand modules) loads on the first call, not when prechew starts.
  let client: Promise<Anthropic> | undefined;
  const getClient = (): Promise<Anthropic> =>
    (client ??= import('@anthropic-ai/sdk').then(
      ({ default: AnthropicClient }) =>
        new AnthropicClient({
          apiKey: settings.apiKey,
          ...(settings.baseURL ? { baseURL: settings.baseURL } : {}),
          timeout: settings.timeoutMs,
          maxRetries: settings.maxRetries,
        }),
    ));
  return {
    name: 'anthropic',
    async chat(request: ChatRequest): Promise<ChatResponse> {
      try {
        const sdk = await getClient();
        const message = await withAbort(
          sdk.messages.create(
            {
              model: request.model,
              max_tokens: request.maxTokens,
              ...(request.system ? { system: request.system } : {}),
              messages: [{ role: 'user', content: request.user }],
            },
            { signal: request.signal },
          ),
          request.signal,
        );
        const text = message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
        const u = message.usage;
        return {
          text,
          model: message.model,
          usage: {
            inputTokens:
              u.input_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0),
            outputTokens: u.output_tokens,
          },
          stopReason: message.stop_reason ?? undefined,
        };
      } catch (error) {
        throw providerError(error, 'Anthropic', request.signal, ANTHROPIC_KEY_VARIABLE);
      }
    },
  };
}
