/** Plain text, Markdown, CSV/TSV and JSON: decoded, tabulated or pretty-printed, always capped. */
import { markdownTable } from './markdown.js';
import type { FormatResult } from './types.js';

/** Parse delimited text (RFC 4180 quoting: "a, b", doubled quotes, newlines inside quotes). */
export function parseDelimited(
  text: string,
  delimiter: string,
  maxRows = Infinity,
): { rows: string[][]; total: number } {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let inQuotes = false;
  let total = 0;
  let i = 0;
  const n = text.length;
  const endRow = () => {
    row.push(field);
    field = '';
    // A line holding nothing at all is not a row.
    if (!(row.length === 1 && row[0] === '')) {
      total++;
      if (rows.length < maxRows) rows.push(row);
    }
    row = [];
  };
  while (i < n) {
    const c = text[i]!;
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        inQuotes = false;
      } else field += c;
      i++;
      continue;
    }
    if (c === '"' && field === '') inQuotes = true;
    else if (c === delimiter) {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      endRow();
      if (c === '\r' && text[i + 1] === '\n') i++;
    } else field += c;
    i++;
  }
  if (field !== '' || row.length > 0) endRow();
  return { rows, total };
}

/** Pick the delimiter of a .csv file: the candidate that splits the first lines most consistently. */
export function sniffDelimiter(text: string): string {
  const sample = text.slice(0, 20_000).split(/\r?\n/).filter(Boolean).slice(0, 20);
  let best = ',';
  let bestScore = 0;
  for (const d of [',', ';', '\t', '|']) {
    const counts = sample.map((l) => parseDelimited(l, d).rows[0]?.length ?? 1);
    const first = counts[0] ?? 1;
    if (first < 2) continue;
    const consistent = counts.filter((c) => c === first).length;
    const score = consistent * 100 + first;
    if (score > bestScore) {
      best = d;
      bestScore = score;
    }
  }
  return best;
}

export function convertDelimited(text: string, kind: 'csv' | 'tsv', maxRows: number): FormatResult {
  const delimiter = kind === 'tsv' ? '\t' : sniffDelimiter(text);
  // +1: the header row does not count against the data-row cap.
  const { rows, total } = parseDelimited(text, delimiter, maxRows + 1);
  const warnings: string[] = [];
  const hidden = Math.max(0, total - rows.length);
  const note =
    hidden > 0
      ? `… ${hidden} more rows not shown (${total - 1} data rows in all; raise convert.maxCsvRows to see more).`
      : undefined;
  if (hidden > 0) warnings.push(`Showing the first ${maxRows} of ${total - 1} data rows.`);
  return {
    markdown: markdownTable(rows, note),
    engine: 'prechew-csv',
    warnings,
    extra: {
      rows: Math.max(0, total - 1),
      columns: rows[0]?.length ?? 0,
      delimiter: delimiter === '\t' ? 'tab' : delimiter,
    },
  };
}

export function convertJson(text: string, maxChars: number): FormatResult {
  const warnings: string[] = [];
  let pretty: string;
  try {
    pretty = JSON.stringify(JSON.parse(text) as unknown, null, 2);
  } catch {
    warnings.push('The file is not valid JSON; it is shown as plain text.');
    pretty = text;
  }
  let body = pretty;
  let note = '';
  if (body.length > maxChars) {
    const cut = body.lastIndexOf('\n', maxChars);
    body = body.slice(0, cut > 0 ? cut : maxChars);
    note = `\n\n… JSON truncated: showing ${body.length.toLocaleString('en-US')} of ${pretty.length.toLocaleString('en-US')} characters (convert.maxJsonChars).`;
    warnings.push(`JSON truncated to ${maxChars} characters.`);
  }
  const fence = body.includes('```') ? '~~~~' : '```';
  return { markdown: `${fence}json\n${body}\n${fence}${note}`, engine: 'prechew-json', warnings };
}

export function convertPlain(text: string, kind: 'markdown' | 'text'): FormatResult {
  const normalized = text.replace(/\r\n?/g, '\n');
  let title: string | undefined;
  if (kind === 'markdown') {
    const h = /^#\s+(.+)$/m.exec(normalized);
    if (h) title = h[1]!.trim();
  }
  return { markdown: normalized, title, engine: 'passthrough', warnings: [] };
}
