import { describe, expect, it } from 'vitest';
import {
  contentProfile,
  identifierWordHashes,
  isDistinctContent,
  isTypo,
  parseFields,
} from '../../src/text/dedupe-distinct.js';
import { hashString32 } from '../../src/text/minhash.js';

const distinct = (a: string, b: string): boolean => isDistinctContent(contentProfile(a), contentProfile(b));
const ids = (text: string): Set<number> => identifierWordHashes(text);
const h = (word: string): number => hashString32(word, 0);

describe('the content check behind near-duplicate drops', () => {
  it('reads DEP-5 style records, with continuation lines', () => {
    const fields = parseFields('Files:\n passwd.master\n group.master\nLicense: public-domain\nCopyright: PD');
    expect(fields).toEqual(
      new Map([
        ['files', 'passwd master group master'],
        ['license', 'public domain'],
        ['copyright', 'pd'],
      ]),
    );
    // One "word: …" line inside prose is not a record.
    expect(parseFields('The job ran long.\nfinished: 17619 items processed')).toBeUndefined();
    expect(parseFields('see http://example.org: it works')).toBeUndefined();
  });

  it('finds paths, addresses, options, code identifiers and names, not timestamps', () => {
    const found = ids('Colin Watson <cjwatson@debian.org> edits doc/adduser.8 with -b and maxItems at 2024-05-03T04:53:02.341Z.');
    for (const w of ['colin', 'watson', 'cjwatson', 'debian', 'doc', 'adduser', '8', 'b', 'maxitems']) expect(found.has(h(w)), w).toBe(true);
    for (const w of ['edits', 'with', 'and', 'at', '2024', '341z']) expect(found.has(h(w)), w).toBe(false);
    // In title-cased or shouted text, capitals are not names.
    expect(ids('The Quick Brown Fox Jumps Over The Lazy Dog').size).toBe(0);
  });

  it('tells misspellings from replaced words', () => {
    expect(isTypo('search', 'seauch')).toBe(true);
    expect(isTypo('receive', 'recieve')).toBe(true);
    expect(isTypo('block', 'character')).toBe(false);
    expect(isTypo('adduser', 'deluser')).toBe(false);
    expect(isTypo('a'.repeat(100), 'a'.repeat(99))).toBe(false);
  });

  it('keeps entries of one template apart and lets edited copies through', () => {
    expect(distinct('Files: doc/adduser.8\nLicense: GPL-2+', 'Files: doc/deluser.8\nLicense: GPL-2+')).toBe(true);
    expect(distinct('True if file exists and is a block special file.', 'True if file exists and is a character special file.')).toBe(true);
    expect(distinct('The nightly backup finished without errors on the primary server in Frankfurt', 'The nightly backup finished without errors on the primary server in Dublin')).toBe(true);
    expect(distinct('The nightly backup finished without errors on the primary server', 'The nightly backup finished without any errors on the primary server')).toBe(false);
    expect(distinct('The nightly backup finished without errors on the primary server', 'The nightly backup finishd without errors on the primary server')).toBe(false);
    const license = (v: number, dir = 'common-licenses'): string =>
      `A copy of the GNU General Public License version ${v} is in /usr/share/${dir}/GPL-${v} on every Debian system, and the full text explains what you may do with the program, how to pass it on, and what the authors promise and do not promise about it.`;
    expect(distinct(license(2), license(3))).toBe(true);
    expect(distinct(license(2), license(2, 'comon-licenses'))).toBe(false);
    expect(distinct(license(2), `${license(2)} It also says more.`)).toBe(false);
  });
});
