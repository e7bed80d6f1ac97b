/**
 * HTML conversion on real pages copied from Debian's /usr/share/doc (fixtures/real/office,
 * see SOURCES.md there) and on generated pathological markup.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { convertForTest as run } from '../helpers/make-documents.js';
import { htmlToMarkdown } from '../../src/engines/documents/html.js';

const real = (name: string) => readFileSync(new URL(`../../fixtures/real/office/${name}`, import.meta.url));

describe('code blocks', () => {
  it('fences a Texinfo <pre class="example"> with its line breaks and no escaping (libffi manual)', async () => {
    const r = await run(real('libffi-simple-example.html'), 'Simple-Example.html');
    expect(r.markdown).toContain(
      '```\n#include <stdio.h>\n#include <ffi.h>\n\nint main()\n{\n  ffi_cif cif;\n  ffi_type *args[1];\n  void *values[1];',
    );
    expect(r.markdown).toContain('  args[0] = &ffi_type_pointer;');
    expect(r.markdown).toContain('      ffi_call(&cif, puts, &rc, values);');
    expect(r.markdown).not.toMatch(/ffi\\_|args\\\[/);
    // The page title is not cut at its colon ("… library)").
    expect(r.title).toBe('Simple Example (libffi: the portable foreign function interface library)');
  });

  it('keeps Sphinx code languages and drops the ¶ permalinks (Debian Python policy)', async () => {
    const r = await run(real('python-policy-excerpt.html'), 'python-policy.html');
    expect(r.markdown).toContain('```python\nimport foo\n```');
    expect(r.markdown).toContain(
      '```\nX-Python3-Version: >= X.Y\nX-Python3-Version: >= A.B, << X.Y\nXS-Python-Version: A.B, X.Y\n```',
    );
    expect(r.markdown).not.toContain('¶');
    expect(r.markdown).not.toContain('Permalink to this heading');
    expect(r.markdown).toMatch(/^## Abstract$/m);
  });

  it('takes the language from language-x, highlight-x and pandoc sourceCode classes', () => {
    expect(htmlToMarkdown('<pre><code class="language-rust">fn main() {}\n</code></pre>')).toBe(
      '```rust\nfn main() {}\n```',
    );
    expect(
      htmlToMarkdown('<div class="highlight-bash notranslate"><div class="highlight"><pre>ls *.txt</pre></div></div>'),
    ).toBe('```bash\nls *.txt\n```');
    expect(
      htmlToMarkdown('<div class="sourceCode"><pre class="sourceCode haskell"><code>main = pure ()</code></pre></div>'),
    ).toBe('```haskell\nmain = pure ()\n```');
    expect(
      htmlToMarkdown('<div class="highlight highlight-source-python"><pre>x = 1<br>y = 2</pre></div>'),
    ).toBe('```python\nx = 1\ny = 2\n```');
    expect(htmlToMarkdown('<div class="highlighted"><pre>plain</pre></div>')).toBe('```\nplain\n```');
    // Code that holds a fence gets a longer one.
    expect(htmlToMarkdown('<pre>```\nx\n```</pre>')).toBe('````\n```\nx\n```\n````');
  });

  it('keeps the words of same-page links and drops anchor-only ones', () => {
    expect(
      htmlToMarkdown(
        '<h2 id="x">Setup<a class="anchor" href="#x">#</a></h2><p>See <a href="#install">Installing</a> and <a href="https://example.org/">the site</a>.</p>',
      ),
    ).toBe('## Setup\n\nSee Installing and [the site](https://example.org/).');
  });
});

describe('pages where Readability keeps almost nothing', () => {
  it('converts the whole body of an index page laid out with nested tables (libxslt API index)', async () => {
    const r = await run(real('libxslt-api-index-y-z.html'), 'APIchunk12.html');
    expect(r.metadata.engine).toBe('turndown');
    expect(r.warnings.join(' ')).toMatch(/kept only \d+ of the page's \d+ words/);
    expect(r.markdown).toContain('## Letter y:');
    expect(r.markdown).toContain('[xsltRunStylesheetUser](html/libxslt-transform.html#xsltRunStylesheetUser)');
    expect(r.markdown).toContain('[xsltFormatNumberConversion]');
    // Layout tables become blocks, not one giant table row.
    expect(r.markdown).toMatch(/^## API Alphabetic Index y-z for libxslt$/m);
    expect(r.markdown).not.toMatch(/\\\\\|/);
  });

  it('keeps search results that sit inside a page-wide <form>', async () => {
    const results = Array.from(
      { length: 40 },
      (_, i) =>
        `<li><a href="/doc/${i}">Result ${i}: configuring the widget ${i}</a><p>Snippet ${i} explains how option ${i} changes the widget behaviour.</p></li>`,
    ).join('');
    const html = `<html><head><title>Search</title></head><body><form action="/search"><nav><a href="/">Home</a></nav><input name="q"><h1>Search results for widget</h1><ol>${results}</ol></form></body></html>`;
    const r = await run(html, 'search.html');
    for (const i of [0, 17, 39]) expect(r.markdown).toContain(`Result ${i}: configuring the widget ${i}`);
    expect(r.markdown).not.toContain('Home');
  });
});

describe('deeply nested markup', () => {
  it('converts 2,000 nested <div>s with the right text', async () => {
    const depth = 2000;
    const html = `<html><body>${'<div>'.repeat(depth)}<h1>Bottom</h1><p>Deep paragraph text at the very bottom of the nesting.</p>${'</div>'.repeat(depth)}</body></html>`;
    const r = await run(html, 'deep.html');
    // Readability turns an article's h1 into h2.
    expect(r.markdown).toMatch(/^#{1,2} Bottom\n\nDeep paragraph text at the very bottom of the nesting\.$/);
  });

  it('converts 2,000 levels that are not plain wrappers, keeping every level of text in order', async () => {
    const depth = 2000;
    const html = `<html><body>${Array.from({ length: depth }, (_, i) => `<div><span>level ${i}</span>`).join('')}<p>The end.</p>${'</div>'.repeat(depth)}</body></html>`;
    const r = await run(html, 'deep.html');
    const lines = r.markdown.split('\n').filter(Boolean);
    expect(lines[0]).toBe('level 0');
    expect(lines).toContain('level 1999');
    expect(lines[lines.length - 1]).toBe('The end.');
    expect(lines.indexOf('level 500')).toBeLessThan(lines.indexOf('level 1500'));
    expect(r.warnings.join(' ')).toMatch(/levels deep/);
    // The fragment converter (DOCX, EPUB chapters) is bounded too.
    expect(htmlToMarkdown(html.replace(/<\/?(html|body)>/g, ''))).toContain('level 1999');
  });
});
