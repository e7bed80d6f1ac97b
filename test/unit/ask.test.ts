import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { costUsd } from '../../src/cloud/pricing.js';
import { askTool } from '../../src/tools/ask.js';
import { callTool, makeTestApp } from '../helpers/app.js';
import { startFakeProviders, type FakeProviders } from '../helpers/fake-providers.js';

const PRIVATE = [
  'Maria Garcia',
  'maria.garcia@example.com',
  '(415) 555-0132',
  '4111 1111 1111 1111',
  'DE89 3704 0044 0532 0130 00',
  '10.20.30.40',
];
const filler = Array.from(
  { length: 200 },
  (_, i) =>
    `Note ${i}: the shipping team reviewed pallet counts for aisle ${i % 9} and found nothing unusual.`,
).join('\n\n');
const ticket =
  'Maria Garcia (maria.garcia@example.com, (415) 555-0132) asked for the refund to go to card 4111 1111 1111 1111 or IBAN DE89 3704 0044 0532 0130 00. ' +
  'The refund of $420 was approved by the billing lead. The request came from 10.20.30.40.';

describe('ask through the official SDKs against a loopback provider', () => {
  let fake: FakeProviders;
  let app: ReturnType<typeof makeTestApp>;

  beforeAll(async () => {
    fake = await startFakeProviders();
    app = makeTestApp({
      privacy: { mode: 'pseudonymize' },
      cloud: {
        anthropic: { apiKey: 'sk-ant-test-key-123456', baseURL: fake.anthropicURL },
        openai: { apiKey: 'sk-openai-test-key-123456', baseURL: fake.openaiURL },
        openaiCompatible: { baseURL: fake.openaiURL, model: 'local-llama' },
        maxRetries: 2,
        timeoutMs: 10_000,
      },
    });
  });
  afterAll(async () => {
    await app.dispose();
    await fake.close();
  });

  for (const provider of ['anthropic', 'openai'] as const) {
    test(`${provider}: nothing private is sent, placeholders are restored, usage and cost come from the response`, async () => {
      fake.requests.length = 0;
      // The "model" answers by echoing placeholders the way models do: with and without brackets.
      fake.answer = (user) => {
        const person = /⟦PERSON_\d+⟧/.exec(user)?.[0] ?? 'nobody';
        const email = /⟦EMAIL_\d+⟧/.exec(user)?.[0]?.slice(1, -1) ?? 'none';
        return `${person}'s refund was approved; contact ${email} or [${email}].`;
      };
      fake.usage = { input: 812, output: 37 };
      const model = provider === 'anthropic' ? 'claude-sonnet-4-5' : 'gpt-5-mini';
      const out = await callTool(app, askTool, {
        question: 'Who asked for the refund, and how do I reach Maria Garcia?',
        sources: [
          { text: filler, name: 'notes.txt' },
          { text: ticket, name: 'ticket-1042.txt' },
        ],
        provider,
        model,
        budgetTokens: 300,
        maxAnswerTokens: 200,
      });
      expect(out.isError, out.text).toBe(false);
      expect(fake.requests).toHaveLength(1);
      const sent = fake.requests[0]!;
      for (const value of PRIVATE) expect(sent.body).not.toContain(value);
      expect(sent.body).toMatch(/⟦PERSON_1⟧/);
      expect(sent.body).toContain('[ticket-1042.txt]');
      expect(sent.path).toBe(provider === 'anthropic' ? '/v1/messages' : '/v1/chat/completions');
      // @anthropic-ai/sdk 1.x sends the key as a bearer token (older majors used x-api-key).
      if (provider === 'anthropic')
        expect(sent.headers['x-api-key'] ?? sent.headers.authorization).toMatch(
          /^(Bearer )?sk-ant-test-key-123456$/,
        );
      else expect(sent.headers.authorization).toBe('Bearer sk-openai-test-key-123456');

      const s = out.structured as {
        answer: string;
        report: {
          usage: { inputTokens: number; outputTokens: number };
          costUsd: number;
          naive: { inputTokens: number; costUsd: number };
          savedUsd: number;
          redactions: Record<string, number>;
          restored: number;
          vaultId: string;
          condense: { tokensOut: number };
        };
      };
      expect(s.answer).toBe(
        "Maria Garcia's refund was approved; contact maria.garcia@example.com or maria.garcia@example.com.",
      );
      expect(s.report.restored).toBe(3);
      expect(s.report.usage).toEqual({ inputTokens: 812, outputTokens: 37 });
      expect(s.report.costUsd).toBe(costUsd(model, 812, 37));
      expect(s.report.naive.inputTokens).toBeGreaterThan(s.report.condense.tokensOut * 5);
      expect(s.report.savedUsd).toBeGreaterThan(0);
      expect(s.report.redactions).toMatchObject({
        PERSON: expect.any(Number),
        EMAIL: 1,
        PHONE: 1,
        CARD: 1,
        IBAN: 1,
        IP: 1,
      });
      expect(s.report.vaultId).toMatch(/^v_/);
      expect(JSON.stringify(s.report)).not.toContain('maria.garcia@example.com');
    });
  }

  test('openai-compatible uses its base URL and model', async () => {
    fake.requests.length = 0;
    fake.answer = 'fine';
    const out = await callTool(app, askTool, {
      question: 'Anything?',
      sources: [{ text: 'Short note about nothing much.' }],
      provider: 'openai-compatible',
      privacy: 'off',
    });
    expect(out.isError, out.text).toBe(false);
    expect((fake.requests[0]!.json as { model: string; max_tokens: number }).model).toBe('local-llama');
    // Portable output: a cost the pricing table cannot give is absent, not null.
    expect((out.structured as { report: { costUsd?: number } }).report).not.toHaveProperty('costUsd');
  });

  test('429 with retry-after, then 200: retried and answered', async () => {
    fake.requests.length = 0;
    fake.answer = 'after retry';
    fake.script.push({ status: 429, headers: { 'retry-after': '0.05' } });
    const out = await callTool(app, askTool, {
      question: 'What?',
      sources: [{ text: 'A note.' }],
      provider: 'anthropic',
      privacy: 'off',
    });
    expect(out.isError, out.text).toBe(false);
    expect((out.structured as { answer: string }).answer).toBe('after retry');
    expect(fake.requests).toHaveLength(2);

    fake.requests.length = 0;
    fake.script.push({ status: 503, headers: { 'retry-after': '0.05' } });
    const again = await callTool(app, askTool, {
      question: 'What?',
      sources: [{ text: 'A note.' }],
      provider: 'openai',
      privacy: 'off',
    });
    expect(again.isError, again.text).toBe(false);
    expect(fake.requests).toHaveLength(2);
  });

  test('401 becomes a clear PROVIDER_ERROR naming the key variable, without the key', async () => {
    for (const provider of ['anthropic', 'openai'] as const) {
      fake.script.push({ status: 401 });
      const out = await callTool(app, askTool, {
        question: 'What?',
        sources: [{ text: 'A note.' }],
        provider,
        privacy: 'off',
      });
      expect(out.isError).toBe(true);
      expect(out.error?.code).toBe('PROVIDER_ERROR');
      expect(out.text).toContain(provider === 'anthropic' ? 'ANTHROPIC_API_KEY' : 'OPENAI_API_KEY');
      expect(out.text).not.toContain('test-key');
    }
  });

  test('cancellation stops the request', async () => {
    fake.script.push({ status: 429, headers: { 'retry-after': '5' } });
    const controller = new AbortController();
    const pending = callTool(
      app,
      askTool,
      { question: 'What?', sources: [{ text: 'A note.' }], provider: 'openai', privacy: 'off' },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(), 200);
    const out = await pending;
    expect(out.error?.code).toBe('CANCELLED');
    fake.script.length = 0;
  });
});

describe('ask: bad input', () => {
  const app = makeTestApp();
  afterAll(() => app.dispose());

  test('missing key names the variable; unknown provider, empty sources, tiny budget are refused', async () => {
    const noKey = await callTool(app, askTool, {
      question: 'Q?',
      sources: [{ text: 'x' }],
      provider: 'anthropic',
    });
    expect(noKey.error?.code).toBe('MISSING_API_KEY');
    expect(noKey.text).toContain('ANTHROPIC_API_KEY');
    const noOpenAi = await callTool(app, askTool, {
      question: 'Q?',
      sources: [{ text: 'x' }],
      provider: 'openai',
    });
    expect(noOpenAi.text).toContain('OPENAI_API_KEY');
    const unknown = await callTool(app, askTool, {
      question: 'Q?',
      sources: [{ text: 'x' }],
      provider: 'mistral',
    });
    expect(unknown.isError).toBe(true);
    expect(unknown.error?.code).toBe('INVALID_INPUT');
    expect(unknown.text).toMatch(/provider/);
    const compat = await callTool(app, askTool, {
      question: 'Q?',
      sources: [{ text: 'x' }],
      provider: 'openai-compatible',
    });
    expect(compat.text).toContain('PRECHEW_COMPAT_BASE_URL');

    const keyed = makeTestApp({ cloud: { anthropic: { apiKey: 'k-123', baseURL: 'http://127.0.0.1:9' } } });
    const empty = await callTool(keyed, askTool, { question: 'Q?', sources: [], provider: 'anthropic' });
    expect(empty.error?.code).toBe('INVALID_INPUT');
    const tiny = await callTool(keyed, askTool, {
      question: 'Q?',
      sources: [{ text: 'x' }],
      provider: 'anthropic',
      budgetTokens: 5,
    });
    expect(tiny.error?.code).toBe('INVALID_INPUT');
    await keyed.dispose();
  });
});
