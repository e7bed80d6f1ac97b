import { z } from 'zod';
import { getVaultStore } from '../store/vault.js';
import { pseudonymize, restorePlaceholders, PRIVATE_TYPES } from '../text/privacy.js';
import { readTextSource, textOrPathShape } from './inputs.js';
import { defineTool } from './types.js';

const countsSchema = z
  .record(z.string(), z.number().int())
  .describe('values replaced per type (never the values)');

const redactInput = z
  .object({
    ...textOrPathShape,
    vaultId: z
      .string()
      .optional()
      .describe('Continue this vault (same value → same placeholder across calls). Default: a new vault.'),
    terms: z
      .array(z.string().min(1).max(200))
      .max(1000)
      .optional()
      .describe(
        'Extra values to treat as private, besides config privacy.terms (project or customer names…).',
      ),
    types: z.array(z.enum(PRIVATE_TYPES)).min(1).optional().describe('Only these types (default all).'),
  })
  .strict();

const redactOutput = z.object({
  text: z.string().describe('the text with placeholders such as ⟦PERSON_1⟧, ⟦EMAIL_2⟧'),
  vaultId: z.string(),
  counts: countsSchema,
  replaced: z.number().int(),
});

export const redactTool = defineTool({
  name: 'redact',
  title: 'Pseudonymize private data',
  summary:
    'Replace names, emails, phones, cards, IBANs, IPs, addresses and custom terms with stable placeholders; originals stay in a local vault.',
  description:
    'Pseudonymize text locally before it goes to a cloud model: person names, emails, phone numbers, credit-card numbers (Luhn-checked), IBANs (checksum), IPv4/IPv6 addresses, street addresses and custom `terms` are replaced by typed placeholders like ⟦PERSON_1⟧ or ⟦EMAIL_2⟧ — the same value always gets the same placeholder within a vault, so "who said what" survives. Names are redacted whole, and once a full name is known its parts (surname, given name, possessive) get the same placeholder in this text and in later calls with the same vaultId. ' +
    "Returns the redacted text, a vaultId and counts per type (never the values). Originals stay in this machine's vault; call `restore` with the vaultId on a model's answer to put them back.",
  inputSchema: redactInput,
  outputSchema: redactOutput,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  cli: { text: 'text', path: 'path' },
  pageField: 'text',
  async handler(input, ctx) {
    const source = await readTextSource(input, ctx);
    const store = getVaultStore(ctx.app);
    const vault = input.vaultId ? store.get(input.vaultId) : store.create();
    const result = pseudonymize(source.text, vault, {
      terms: [...ctx.app.config.privacy.terms, ...(input.terms ?? [])],
      defaultCountry: ctx.app.config.privacy.defaultCountry,
      ...(input.types ? { types: input.types } : {}),
      signal: ctx.signal,
    });
    store.save(vault);
    return { text: result.text, vaultId: vault.id, counts: result.counts, replaced: result.replaced };
  },
  render: (out) => {
    const counts =
      Object.entries(out.counts)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ') || 'nothing found';
    return `${out.text}\n\n---\nRedacted ${out.replaced} values (${counts}). Vault: ${out.vaultId}`;
  },
});

const restoreInput = z
  .object({
    text: z.string().describe("Text containing placeholders, e.g. a model's answer."),
    vaultId: z.string().describe('The vault returned by redact, condense or ask.'),
  })
  .strict();

const restoreOutput = z.object({
  text: z.string(),
  restored: z.number().int().describe('placeholders replaced by their original value'),
  unknown: z.array(z.string()).describe('placeholder-like tokens this vault does not know (left unchanged)'),
});

export const restoreTool = defineTool({
  name: 'restore',
  title: 'Restore pseudonymized values',
  summary: 'Put the original values back into text with placeholders, using a local vault.',
  description:
    "Replace placeholders such as ⟦PERSON_1⟧ with the original values kept in the local vault `vaultId` (from redact, condense or ask). Tolerates how models echo placeholders: brackets lost (PERSON_1), square brackets ([PERSON_1]), other casing (person_1), possessives (⟦PERSON_1⟧'s).",
  inputSchema: restoreInput,
  outputSchema: restoreOutput,
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  cli: { text: 'text' },
  pageField: 'text',
  async handler(input, ctx) {
    const vault = getVaultStore(ctx.app).get(input.vaultId);
    const r = restorePlaceholders(input.text, vault);
    return { text: r.text, restored: r.restored, unknown: r.unknown };
  },
  render: (out) =>
    `${out.text}\n\n---\nRestored ${out.restored} placeholders${out.unknown.length ? `; unknown to this vault: ${out.unknown.join(', ')}` : ''}.`,
});
