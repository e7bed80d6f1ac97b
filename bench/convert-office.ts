/**
 * HTML and office conversion: time against nesting depth (it must grow linearly), a real Sphinx
 * page with code blocks, DOCX equations, a PPTX chart deck, and how fast a DOCX whose XML unpacks
 * to 200 MB is refused. Prints figures, asserts nothing.
 */
import { readFileSync } from 'node:fs';
import { convert, type ConvertOptions } from '../src/engines/documents/index.js';
import { makeChartPptx, makeHugeDocx, makeMathDocx } from '../test/helpers/make-documents.js';

const limits: ConvertOptions['limits'] = {
  maxUncompressedBytes: 300 << 20,
  maxZipEntries: 10_000,
  documentTimeoutMs: 600_000,
  maxCsvRows: 500,
  maxJsonChars: 200_000,
};

async function timeMs(bytes: Uint8Array | string, name: string, runs = 1): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < runs; i++) await convert({ bytes: Buffer.from(bytes), name }, { limits });
  return (performance.now() - started) / runs;
}

function fixture(rel: string): Buffer {
  for (const up of ['../fixtures/', '../../fixtures/']) {
    try {
      return readFileSync(new URL(up + rel, import.meta.url));
    } catch {
      // try the next location (sources vs dist/)
    }
  }
  throw new Error(`fixtures/${rel} not found`);
}

export async function benchConvertOffice(): Promise<Record<string, string>> {
  const figures: Record<string, string> = {};
  await timeMs('<p>warm</p>', 'warm.html');
  const wrappers: string[] = [];
  const mixed: string[] = [];
  for (const depth of [1000, 2000, 4000]) {
    const plain = `<html><body>${'<div>'.repeat(depth)}<p>Bottom text.</p>${'</div>'.repeat(depth)}</body></html>`;
    const levels = `<html><body>${'<div><span>level</span> '.repeat(depth)}<p>Bottom text.</p>${'</div>'.repeat(depth)}</body></html>`;
    wrappers.push(`${depth}: ${(await timeMs(plain, 'deep.html')).toFixed(0)} ms`);
    mixed.push(`${depth}: ${(await timeMs(levels, 'deep.html')).toFixed(0)} ms`);
  }
  figures['nested <div> wrappers'] = wrappers.join(', ');
  figures['nested <div><span>text'] = mixed.join(', ');
  const policy = fixture('real/office/python-policy-excerpt.html');
  const policyMs = await timeMs(policy, 'python-policy.html', 3);
  figures['Sphinx page (53 KB, code blocks)'] = `${policyMs.toFixed(0)} ms (${(policy.length / 1024 / 1024 / (policyMs / 1000)).toFixed(2)} MB/s)`;
  figures['DOCX with 7 equations'] = `${(await timeMs(makeMathDocx(), 'math.docx', 5)).toFixed(0)} ms`;
  figures['PPTX chart slide'] = `${(await timeMs(makeChartPptx(), 'chart.pptx', 5)).toFixed(1)} ms`;
  const huge = makeHugeDocx(200);
  const started = performance.now();
  let outcome = 'converted';
  try {
    await convert({ bytes: Buffer.from(huge), name: 'huge.docx' }, { limits });
  } catch (error) {
    outcome = (error as { code?: string }).code ?? 'error';
  }
  figures['DOCX unpacking to 200 MB of XML'] =
    `${outcome} after ${(performance.now() - started).toFixed(0)} ms (${(huge.length / 1024).toFixed(0)} KB file)`;
  return figures;
}
