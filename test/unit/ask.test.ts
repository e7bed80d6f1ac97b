import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { costUsd } from '../../src/cloud/pricing.js';
import { askTool } from '../../src/tools/ask.js';
import { redactTool } from '../../src/tools/redact.js';
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
      // The last check ran over what was sent and found nothing; the text says so once.
      expect(out.structured).toMatchObject({
        report: { privacyCheck: { mode: 'block', detectors: expect.arrayContaining(['PERSON', 'PHONE', 'TERM']), hits: {} } },
      });
      expect((out.structured as { report: { privacyCheck: { vaultValuesChecked: number } } }).report.privacyCheck.vaultValuesChecked).toBeGreaterThanOrEqual(6);
      expect(out.text.match(/Pseudonymized/g)).toHaveLength(1);
      expect(out.text).toMatch(/Outgoing privacy check \(block\): 8 detectors and \d+ vault values checked, nothing found/);
    });
  }

  test('pseudonymize on a real Debian copyright file: no name and no part of one in the request', async () => {
    fake.requests.length = 0;
    fake.answer = 'The first copyright holder is ⟦PERSON_2⟧.';
    const text = readFileSync('fixtures/real/privacy/adduser.copyright', 'utf8');
    const names = (JSON.parse(readFileSync('fixtures/real/privacy/copyright-names.json', 'utf8')) as Record<string, string[]>)[
      'adduser.copyright'
    ]!;
    const out = await callTool(app, askTool, {
      question: "Who wrote adduser, and what did Murdock and Hajek contribute? Is Jörg Hoh's work GPL?",
      sources: [{ text, name: 'copyright' }],
      provider: 'anthropic',
      budgetTokens: 1500,
    });
    expect(out.isError, out.text).toBe(false);
    const body = fake.requests[0]!.body;
    const sentText = JSON.stringify(fake.requests[0]!.json);
    const left = names
      .flatMap((n) => n.replace(/\(.*?\)/g, '').split(/\s+/))
      .map((t) => t.replace(/[.,]+$/, ''))
      .filter((t) => t.length >= 3 && !/^(van|Dr)$/.test(t))
      .filter((t) => new RegExp(`(?<![\\p{L}])${t}(?![\\p{L}])`, 'u').test(sentText));
    expect(left).toEqual([]);
    expect(body).toContain('⟦PERSON_');
    expect((out.structured as { answer: string }).answer).not.toContain('⟦PERSON_');
  });

  test('the outgoing check blocks a request that would leak, says what it checked, and never names the value', async () => {
    fake.requests.length = 0;
    const leaky = makeTestApp({
      privacy: { mode: 'off', terms: ['Project Bluebird'] },
      cloud: { anthropic: { apiKey: 'sk-ant-test-key-123456', baseURL: fake.anthropicURL } },
    });
    try {
      const blocked = await callTool(leaky, askTool, {
        question: 'What is the status of Project Bluebird? Call me at 555-867-5309.',
        sources: [{ text: 'A short status note without names.' }],
        privacyCheck: 'block',
      });
      expect(blocked.error?.code).toBe('PRIVACY_BLOCKED');
      expect(blocked.text).toMatch(/TERM 1/);
      expect(blocked.text).toMatch(/PHONE 1/);
      expect(blocked.text).toMatch(/8 detectors \(PERSON, EMAIL, PHONE, CARD, IBAN, IP, ADDRESS, TERM\)/);
      expect(blocked.text).not.toContain('Bluebird');
      expect(blocked.text).not.toContain('5309');
      expect(fake.requests).toHaveLength(0);

      // A value from an earlier redaction, asked about in clear with privacy off: the vault catches it.
      const red = await callTool(leaky, redactTool, { text: 'Ian Murdock <imurdock@debian.org> founded Debian.' });
      const vaultId = (red.structured as { vaultId: string }).vaultId;
      const fromVault = await callTool(leaky, askTool, {
        question: "What did Murdock's manifesto say?",
        sources: [{ text: 'A short status note without names.' }],
        privacyCheck: 'block',
        vaultId,
      });
      expect(fromVault.error?.code).toBe('PRIVACY_BLOCKED');
      expect(fromVault.text).toMatch(/PERSON 1 \(1 of them values already in the vault\)/);
      expect(fromVault.text).not.toContain('Murdock');
      expect(fake.requests).toHaveLength(0);

      // warn sends anyway and reports the hits.
      fake.answer = 'sent';
      const warned = await callTool(leaky, askTool, {
        question: 'What is the status of Project Bluebird?',
        sources: [{ text: 'A short status note without names.' }],
        privacyCheck: 'warn',
      });
      expect(warned.isError, warned.text).toBe(false);
      expect(fake.requests).toHaveLength(1);
      expect(warned.structured).toMatchObject({ report: { privacyCheck: { mode: 'warn', hits: { TERM: 1 } } } });
    } finally {
      await leaky.dispose();
    }
  });

  test('pseudonymize continues a vault: a surname known from an earlier redaction is not sent', async () => {
    fake.requests.length = 0;
    fake.answer = 'ok';
    const red = await callTool(app, redactTool, { text: 'Thanks to Even Scharning <even@example.no> for the report.' });
    const vaultId = (red.structured as { vaultId: string }).vaultId;
    const out = await callTool(app, askTool, {
      question: 'What did Scharning report, and did Even fix it?',
      sources: [{ text: 'Scharning reported the crash on Tuesday; the fix shipped on Friday.' }],
      provider: 'openai',
      vaultId,
    });
    expect(out.isError, out.text).toBe(false);
    expect(fake.requests[0]!.body).not.toMatch(/Scharning|Even fix/);
    expect((out.structured as { report: { vaultId: string } }).report.vaultId).toBe(vaultId);
  });

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
    // No provider named and none configured: say which keys to set, not "provider: Invalid option".
    const none = await callTool(app, askTool, { question: 'Q?', sources: [{ text: 'x' }] });
    expect(none.error?.code).toBe('MISSING_API_KEY');
    expect(none.text).toContain('ANTHROPIC_API_KEY');
    expect(none.text).toContain('OPENAI_API_KEY');
    expect(none.text).toContain('mcp.config.json');
    expect(none.text).not.toMatch(/Invalid option/);

    const keyed = makeTestApp({ cloud: { anthropic: { apiKey: 'k-123', baseURL: 'http://127.0.0.1:9' } } });
    const empty = await callTool(keyed, askTool, { question: 'Q?', sources: [] });
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

test('ask output schema is portable: no nullable unions', () => {
  const schema = JSON.stringify(z.toJSONSchema(askTool.outputSchema));
  expect(schema).not.toContain('"null"');
  expect(schema).not.toMatch(/"type":\[/);
});
