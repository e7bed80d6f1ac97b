/**
 * Worker-thread side of the document sandbox (sandbox.ts): parses one untrusted document (or one
 * page range of a PDF) per message and posts the result back. Runs under a heap cap; the parent
 * terminates it on timeout, cancellation or out-of-memory, so nothing here needs to police time.
 */
import { parentPort } from 'node:worker_threads';
import { PrechewError } from '../../errors.js';
import { classifyConvertError, convertNonPdf, finishResult } from './convert-core.js';
import { extractPdfChunk } from './pdf.js';
import type { SandboxJob, SandboxReply } from './sandbox.js';

const never = new AbortController().signal;

function reply(message: SandboxReply): void {
  parentPort?.postMessage(message);
}

async function run(job: SandboxJob): Promise<unknown> {
  const bytes = Buffer.from(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength);
  if (job.kind === 'pdf')
    return extractPdfChunk(bytes, job.name, job.request, (done, of) =>
      reply({ id: job.id, type: 'progress', done, of }),
    );
  const options = { ...job.options, signal: never };
  const { format, result } = await convertNonPdf(bytes, { name: job.name, options, signal: never });
  return finishResult(job.name, format, result, options);
}

parentPort?.on('message', (job: SandboxJob) => {
  void (async () => {
    try {
      reply({ id: job.id, type: 'done', result: await run(job) });
    } catch (error) {
      const safe: PrechewError = classifyConvertError(error, job.name);
      reply({ id: job.id, type: 'error', error: { code: safe.code, message: safe.message, details: safe.details } });
    }
  })();
});
