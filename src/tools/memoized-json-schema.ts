/**
 * A tool schema whose JSON Schema form is computed once per process. The SDK converts a tool's
 * input and output schemas to JSON Schema per McpServer instance, and the stateless HTTP handler
 * builds a server per request: converting prechew's ten tools' zod schemas again on every call
 * was most of the gap to a bare SDK server. The wrapper keeps zod's own validation and only
 * memoises `~standard.jsonSchema` (the Standard JSON Schema interface the SDK reads), so what
 * `tools/list` advertises is unchanged.
 */
import type { StandardSchemaWithJSON } from '@modelcontextprotocol/server';

type Converter = StandardSchemaWithJSON['~standard']['jsonSchema'];
type ConvertOptions = Parameters<Converter['input']>[0];

function memo(convert: (options: ConvertOptions) => Record<string, unknown>): (options: ConvertOptions) => Record<string, unknown> {
  const byOptions = new Map<string, Record<string, unknown>>();
  return (options) => {
    const key = JSON.stringify(options);
    let json = byOptions.get(key);
    if (!json) {
      json = convert(options);
      byOptions.set(key, json);
    }
    // A copy, so no caller can change what the next server advertises.
    return structuredClone(json);
  };
}

export function withMemoizedJsonSchema<I, O>(schema: StandardSchemaWithJSON<I, O>): StandardSchemaWithJSON<I, O> {
  const std = schema['~standard'];
  return {
    '~standard': {
      version: std.version,
      vendor: std.vendor,
      types: std.types,
      validate: (value, options) => std.validate(value, options),
      jsonSchema: {
        input: memo((options) => std.jsonSchema.input(options)),
        output: memo((options) => std.jsonSchema.output(options)),
      },
    },
  };
}
