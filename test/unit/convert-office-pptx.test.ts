/** PPTX and DOCX charts (cached series data) and PPTX image alt text. */
import { describe, expect, it } from 'vitest';
import { convertForTest as run, makeChartDocx, makeChartPptx } from '../helpers/make-documents.js';
import { chartToMarkdown } from '../../src/engines/documents/office.js';

describe('PPTX charts and pictures', () => {
  it('emits each chart as its title and a table of the cached data, and picture alt text', async () => {
    const r = await run(makeChartPptx(), 'results.pptx');
    expect(r.markdown).toBe(
      [
        '## Slide 1: Results',
        'Chart: Revenue by region',
        '| Category | 2023 | 2024 |\n| --- | --- | --- |\n| North | 120 | 150 |\n| South | 95 | 101.5 |\n| West | 143 | 160 |',
        '[image: Team photo at the 2024 offsite]',
      ].join('\n\n'),
    );
  });

  it('reads scatter charts, numeric categories and charts without a title', () => {
    const md = chartToMarkdown(
      '<c:chartSpace xmlns:c="c"><c:chart><c:plotArea><c:scatterChart>' +
        '<c:ser><c:xVal><c:numRef><c:numCache><c:pt idx="0"><c:v>1</c:v></c:pt><c:pt idx="2"><c:v>3</c:v></c:pt><c:pt idx="1"><c:v>2</c:v></c:pt></c:numCache></c:numRef></c:xVal>' +
        '<c:yVal><c:numLit><c:pt idx="0"><c:v>10</c:v></c:pt><c:pt idx="1"><c:v>20</c:v></c:pt><c:pt idx="2"><c:v>30</c:v></c:pt></c:numLit></c:yVal></c:ser>' +
        '</c:scatterChart></c:plotArea></c:chart></c:chartSpace>',
    );
    expect(md).toBe('Chart: untitled\n\n| X | Series 1 |\n| --- | --- |\n| 1 | 10 |\n| 2 | 20 |\n| 3 | 30 |');
  });
});

describe('DOCX charts', () => {
  it('emits an embedded chart as its title and data table where it stands in the text', async () => {
    const r = await run(makeChartDocx(), 'report.docx');
    expect(r.markdown).toBe(
      [
        'Revenue grew in every region.',
        'Chart: Revenue by region',
        '| Category | 2023 | 2024 |\n| --- | --- | --- |\n| North | 120 | 150 |\n| South | 95 | 101.5 |\n| West | 143 | 160 |',
        'Details follow.',
      ].join('\n\n'),
    );
  });
});
