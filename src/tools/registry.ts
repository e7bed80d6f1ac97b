/** Every tool prechew serves, in the order they are listed to clients, and the file readers they share. */
import { registerFileReader } from './inputs.js';
import { classifyTool } from './classify.js';
import { condenseTool } from './condense.js';
import { convertTool, documentFileReader } from './convert.js';
import { dedupeTool } from './dedupe.js';
import { extractEntitiesTool } from './extract-entities.js';
import { summarizeTool } from './summarize.js';
import { audioFileReader, transcribeTool } from './transcribe.js';
import { askTool } from './ask.js';
import { redactTool, restoreTool } from './redact.js';
import type { AnyTool } from './types.js';

// Audio first: its reader claims only audio/video magic bytes; documents next; plain text last.
registerFileReader(audioFileReader);
registerFileReader(documentFileReader);

const tools: AnyTool[] = [convertTool, transcribeTool, extractEntitiesTool, dedupeTool, summarizeTool, classifyTool, condenseTool, redactTool, restoreTool, askTool];

export function allTools(): AnyTool[] {
  return tools;
}

export function findTool(name: string): AnyTool | undefined {
  return tools.find((t) => t.name === name);
}
