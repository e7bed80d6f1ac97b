/**
 * Shared input shapes: every tool that reads text accepts inline `text` or a file `path` inside
 * the allowed roots. Documents and audio are routed through their converters by the readers
 * registered here, so a tool never touches the disk itself.
 */
import { z } from 'zod';
import { PrechewError } from '../errors.js';
import { tooLarge } from '../files.js';
import type { ToolContext } from './types.js';

/** Per-call override of `mesh.offload` for tools whose work is split into units. */
export const offloadField = z
  .enum(['auto', 'off'])
  .optional()
  .describe('Send units of this call to trusted peer nodes ("auto") or keep them on this machine ("off"); default: the node\'s mesh.offload setting.');

export const textOrPathShape = {
  text: z.string().optional().describe('The text to process, inline.'),
  path: z
    .string()
    .optional()
    .describe('Path of a file to read instead of `text`; must be inside a directory the user allowed (absolute, or relative to the first allowed root).'),
};

export interface TextSource {
  text: string;
  /** Display name: the file name, or "text". */
  name: string;
  bytes: number;
  /** Where the text came from, for reports. */
  origin: 'inline' | 'file';
  format?: string | undefined;
}

/** Converts raw file bytes to text (documents, audio). Registered by the convert/transcribe modules. */
export type FileReader = (bytes: Buffer, name: string, ctx: ToolContext) => Promise<{ text: string; format: string } | undefined>;

const readers: FileReader[] = [];
export function registerFileReader(reader: FileReader): void {
  readers.push(reader);
}

function looksBinary(bytes: Buffer): boolean {
  const sample = bytes.subarray(0, 8192);
  let suspicious = 0;
  for (const b of sample) {
    if (b === 0) return true;
    if (b < 7 || (b > 13 && b < 32)) suspicious++;
  }
  return sample.length > 0 && suspicious / sample.length > 0.1;
}

export async function readTextSource(input: { text?: string | undefined; path?: string | undefined }, ctx: ToolContext): Promise<TextSource> {
  const hasText = typeof input.text === 'string';
  const hasPath = typeof input.path === 'string' && input.path.length > 0;
  if (hasText === hasPath) {
    throw new PrechewError('INVALID_INPUT', hasText ? 'Give either `text` or `path`, not both.' : 'Give the input as `text` (inline) or `path` (a file inside an allowed root).');
  }
  const limit = ctx.app.config.limits.maxInputBytes;
  if (hasText) {
    const bytes = Buffer.byteLength(input.text!, 'utf8');
    if (bytes > limit) throw tooLarge('The text', bytes, limit);
    return { text: input.text!, name: 'text', bytes, origin: 'inline' };
  }
  const { file, bytes } = await ctx.app.files.read(input.path!, await ctx.clientRoots());
  const converted = await convertBytesToText(bytes, file.name, ctx);
  return { text: converted.text, name: file.name, bytes: file.size, origin: 'file', format: converted.format };
}

/**
 * Turn file bytes into text through the registered readers (documents, audio), falling back to
 * UTF-8 text; binary data no reader understands is refused with a clear error.
 */
export async function convertBytesToText(bytes: Buffer, name: string, ctx: ToolContext): Promise<{ text: string; format: string }> {
  const limit = ctx.app.config.limits.maxInputBytes;
  if (bytes.length > limit) throw tooLarge(name, bytes.length, limit);
  for (const reader of readers) {
    const converted = await reader(bytes, name, ctx);
    if (converted) return converted;
  }
  if (looksBinary(bytes)) {
    throw new PrechewError(
      'UNSUPPORTED_FORMAT',
      `${name} is a binary file that prechew cannot read as text. Supported: plain text, the document formats listed by the convert tool, and audio (transcribe).`,
    );
  }
  return { text: new TextDecoder('utf-8', { fatal: false }).decode(bytes), format: 'text' };
}
