import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { allTools } from '../../src/tools/registry.js';
import { withMemoizedJsonSchema } from '../../src/tools/memoized-json-schema.js';
import type { StandardSchemaWithJSON } from '@modelcontextprotocol/server';

const TARGET = { target: 'draft-2020-12' } as const;

describe('withMemoizedJsonSchema', () => {
  it('advertises exactly the JSON Schema of every tool schema, input and output', () => {
    for (const tool of allTools()) {
      for (const schema of [tool.inputSchema, tool.outputSchema] as unknown as StandardSchemaWithJSON[]) {
        const wrapped = withMemoizedJsonSchema(schema);
        for (const io of ['input', 'output'] as const) {
          expect(wrapped['~standard'].jsonSchema[io](TARGET), `${tool.name} ${io}`).toEqual(schema['~standard'].jsonSchema[io](TARGET));
        }
      }
    }
  });

  it('converts once, and a caller changing its copy does not change the next one', () => {
    let conversions = 0;
    const inner = z.object({ text: z.string() }) as unknown as StandardSchemaWithJSON;
    const counting: StandardSchemaWithJSON = {
      '~standard': {
        ...inner['~standard'],
        jsonSchema: {
          input: (options) => {
            conversions++;
            return inner['~standard'].jsonSchema.input(options);
          },
          output: (options) => inner['~standard'].jsonSchema.output(options),
        },
      },
    };
    const wrapped = withMemoizedJsonSchema(counting);
    const first = wrapped['~standard'].jsonSchema.input(TARGET);
    (first as { properties?: unknown }).properties = 'changed';
    const second = wrapped['~standard'].jsonSchema.input(TARGET);
    wrapped['~standard'].jsonSchema.input(TARGET);
    expect(conversions).toBe(1);
    expect((second as { properties: Record<string, unknown> }).properties.text).toEqual({ type: 'string' });
    // Another target is another conversion.
    wrapped['~standard'].jsonSchema.input({ target: 'draft-07' });
    expect(conversions).toBe(2);
  });

  it('validates with the wrapped schema: same values, same issues', async () => {
    const schema = z.object({ text: z.string(), n: z.number().int().default(3) }).strict();
    const wrapped = withMemoizedJsonSchema(schema as unknown as StandardSchemaWithJSON);
    const ok = await wrapped['~standard'].validate({ text: 'a' });
    expect(ok).toEqual({ value: { text: 'a', n: 3 } });
    const bad = (await wrapped['~standard'].validate({ text: 1, extra: true })) as { issues?: Array<{ path?: unknown[] }> };
    expect(bad.issues?.length).toBeGreaterThanOrEqual(2);
  });
});
