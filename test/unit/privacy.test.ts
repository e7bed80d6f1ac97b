import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { buildPrivacyCorpus } from '../../bench/condense-corpus.js';
import {
  cardNumberValid,
  checkOutgoing,
  detectPrivateData,
  ibanValid,
  phoneRegionsFor,
  pseudonymize,
  restorePlaceholders,
  taggerPieces,
} from '../../src/text/privacy.js';
import { PRIVATE_TYPES, Vault } from '../../src/text/vault.js';

const FIXTURES = 'fixtures/real/privacy';
const PARTICLES = new Set(['da', 'de', 'del', 'der', 'di', 'van', 'von', 'la', 'le', 'du', 'dos']);
/** The identifying parts of a name: tokens of 3+ letters, particles and nicknames in brackets left out. */
const nameParts = (name: string): string[] =>
  name
    .replace(/\(.*?\)/g, '')
    .split(/\s+/)
    .map((t) => t.replace(/[.,]+$/, ''))
    .filter((t) => t.length >= 3 && !PARTICLES.has(t) && !/^(Dr|Prof|Mr|Mrs)$/.test(t));
const containsWord = (text: string, word: string): boolean =>
  new RegExp(`(?<![\\p{L}])${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}])`, 'u').test(text);

const types = (text: string, terms: string[] = []) =>
  detectPrivateData(text, { terms }).map((s) => `${s.type}:${s.value}`);

describe('detectors', () => {
  test('cards need a valid Luhn checksum; IBANs need mod-97', () => {
    expect(cardNumberValid('4111 1111 1111 1111')).toBe(true);
    expect(cardNumberValid('4111 1111 1111 1112')).toBe(false);
    expect(ibanValid('DE89 3704 0044 0532 0130 00')).toBe(true);
    expect(ibanValid('DE88 3704 0044 0532 0130 00')).toBe(false);
    expect(ibanValid('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(types('Pay 4111-1111-1111-1111 now, not order 4111 1111 1111 1112.')).toEqual([
      'CARD:4111-1111-1111-1111',
    ]);
    expect(types('IBAN GB82 WEST 1234 5698 7654 32 THANKS')).toEqual(['IBAN:GB82 WEST 1234 5698 7654 32']);
  });

  test('IP addresses, but not versions, times or dates', () => {
    expect(types('hosts 192.168.1.20 and fe80::1ff:fe23:4567:890a and ::1')).toEqual([
      'IP:192.168.1.20',
      'IP:fe80::1ff:fe23:4567:890a',
      'IP:::1',
    ]);
    expect(types('version 1.2.3.4.5, at 12:30:45 on 2024-03-14, 999.1.1.1')).toEqual([]);
  });

  test('emails, phones, street addresses, person names and custom terms', () => {
    const found = types(
      'Maria Garcia <maria@example.com> called from (415) 555-0132 about Project Falcon; ship to 1600 Pennsylvania Avenue NW, Suite 400 or Hauptstraße 12.',
      ['project falcon'],
    );
    expect(found).toEqual([
      'PERSON:Maria Garcia',
      'EMAIL:maria@example.com',
      'PHONE:(415) 555-0132',
      'TERM:Project Falcon',
      'ADDRESS:1600 Pennsylvania Avenue NW, Suite 400',
      'ADDRESS:Hauptstraße 12',
    ]);
  });
});

describe('pseudonymize and restore', () => {
  test('round trip on generated data: every planted value redacted, restore gives the original back exactly', () => {
    const corpus = buildPrivacyCorpus();
    const vault = new Vault('v_test');
    const redacted = pseudonymize(corpus.text, vault, { terms: corpus.terms });
    for (const { type, value } of corpus.values) {
      expect(redacted.text, `${type} ${value}`).not.toContain(value);
    }
    for (const type of ['PERSON', 'EMAIL', 'PHONE', 'CARD', 'IBAN', 'IP', 'ADDRESS', 'TERM']) {
      expect(redacted.counts[type as keyof typeof redacted.counts] ?? 0, type).toBeGreaterThanOrEqual(60);
    }
    expect(redacted.text).toMatch(/⟦EMAIL_\d+⟧/);
    const restored = restorePlaceholders(redacted.text, vault);
    expect(restored.text).toBe(corpus.text);
    expect(restored.unknown).toEqual([]);
  });

  test('the same value gets the same placeholder within a vault, and a new one in another vault', () => {
    const vault = new Vault('v_a');
    const a = pseudonymize('Mail bob@example.com, then bob@example.com again; alice@example.com too.', vault);
    expect(a.text).toBe('Mail ⟦EMAIL_1⟧, then ⟦EMAIL_1⟧ again; ⟦EMAIL_2⟧ too.');
    expect(pseudonymize('Reply to alice@example.com', vault).text).toBe('Reply to ⟦EMAIL_2⟧');
    expect(pseudonymize('Reply to alice@example.com', new Vault('v_b')).text).toBe('Reply to ⟦EMAIL_1⟧');
  });

  test('restore tolerates how models echo placeholders', () => {
    const vault = new Vault('v_c');
    pseudonymize('Maria Garcia wrote to bob@example.com.', vault);
    const echo =
      "⟦PERSON_1⟧'s note: PERSON_1 asked [EMAIL_1] and person_1 agreed; [[Email_1]], ⟦ PERSON 1 ⟧ and ⟦PERSON_1⟧’s. Person 1 in prose stays; PERSON_12 is unknown.";
    const r = restorePlaceholders(echo, vault);
    expect(r.text).toBe(
      "Maria Garcia's note: Maria Garcia asked bob@example.com and Maria Garcia agreed; bob@example.com, Maria Garcia and Maria Garcia’s. Person 1 in prose stays; PERSON_12 is unknown.",
    );
    expect(r.restored).toBe(7);
    expect(r.unknown).toEqual(['PERSON_12']);
  });

  test('snapshots survive serialization', () => {
    const vault = new Vault('v_d');
    const red = pseudonymize('Call +44 20 7946 0958 or email x@y.org', vault).text;
    const again = Vault.fromJSON(JSON.parse(JSON.stringify(vault.toJSON())));
    expect(restorePlaceholders(red, again).text).toBe('Call +44 20 7946 0958 or email x@y.org');
    expect(again.placeholderFor('EMAIL', 'new@y.org')).toBe('⟦EMAIL_2⟧');
  });
});

describe('names are redacted whole, and everywhere in the vault', () => {
  const listed = JSON.parse(readFileSync(`${FIXTURES}/copyright-names.json`, 'utf8')) as Record<string, string[]>;
  for (const file of ['base-passwd.copyright', 'adduser.copyright', 'bash.copyright', 'tzdata.copyright', 'base-passwd.changelog']) {
    test(`Debian ${file}: no listed name and no part of one remains after redact`, () => {
      const text = readFileSync(`${FIXTURES}/${file}`, 'utf8');
      const names = listed[file] ?? [];
      const vault = new Vault('v_copyright');
      const out = pseudonymize(text, vault).text;
      const left: string[] = [];
      for (const name of names) for (const part of nameParts(name)) if (containsWord(out, part)) left.push(`${name}: ${part}`);
      expect(left).toEqual([]);
      // Structure survives: field names and licence text are not names.
      for (const kept of ['Copyright:', 'License:', 'Files:']) if (text.includes(kept)) expect(out).toContain(kept);
      // No person in tzdata's file: only the contact address goes.
      if (file === 'tzdata.copyright') expect(out).toBe(text.replace('tz@iana.org', '⟦EMAIL_1⟧'));
      if (file === 'bash.copyright') expect(out).toContain('Free Software Foundation, Inc.');
    });
  }

  test('a detected name is extended over the rest of the name on its line', () => {
    const found = detectPrivateData('Copyright: 1995 Ian A. Murdock <imurdock@debian.org>\n           1999-2010 Tomohiro KUBOTA <kubota@debian.org>');
    expect(found.filter((s) => s.type === 'PERSON').map((s) => s.value)).toEqual(['Ian A. Murdock', 'Tomohiro KUBOTA']);
  });

  test('surname, given name and possessive get the full name\'s placeholder, in this text and in later calls', () => {
    const vault = new Vault('v_parts');
    const a = pseudonymize("Ian Murdock founded Debian in 1993. Murdock's manifesto followed; later Ian wrote more.", vault);
    expect(a.text).toBe("⟦PERSON_1⟧ founded Debian in 1993. ⟦PERSON_1⟧'s manifesto followed; later ⟦PERSON_1⟧ wrote more.");
    // The surname before the full name in the same text.
    const b = pseudonymize('Gorbanev reviewed it. The patch by Evgeniy Gorbanev <gorbanev@example.org> landed.', vault);
    expect(b.text).toBe('⟦PERSON_2⟧ reviewed it. The patch by ⟦PERSON_2⟧ <⟦EMAIL_1⟧> landed.');
    // A later call with the same vault: parts alone, a longer form of the same name.
    const c = pseudonymize("Ask Murdock and Gorbanev. Ian A. Murdock's reply came first.", vault);
    expect(c.text).toBe("Ask ⟦PERSON_1⟧ and ⟦PERSON_2⟧. ⟦PERSON_1⟧'s reply came first.");
    // Restoring gives back the person's name as first seen.
    expect(restorePlaceholders(c.text, vault).text).toBe("Ask Ian Murdock and Evgeniy Gorbanev. Ian Murdock's reply came first.");
    // A new vault knows nobody.
    expect(pseudonymize('Ask Murdock.', new Vault('v_new')).text).toBe('Ask Murdock.');
  });

  test('a given name that is also a common word is replaced only where it is plausibly the name', () => {
    const vault = new Vault('v_even');
    const out = pseudonymize(
      'Thanks to Even Scharning <even@example.no> for the report. Even so, the build broke. We asked Even again; Scharning sent a fix, even on a Sunday.',
      vault,
    ).text;
    expect(out).toBe(
      'Thanks to ⟦PERSON_1⟧ <⟦EMAIL_1⟧> for the report. Even so, the build broke. We asked ⟦PERSON_1⟧ again; ⟦PERSON_1⟧ sent a fix, even on a Sunday.',
    );
    const will = pseudonymize('Will Smith <will@example.com> said he will come in May. Will arrived late; Smith apologised.', new Vault('v_w')).text;
    // "Will" opening a sentence is not replaced alone (documented rule); the surname always is.
    expect(will).toBe('⟦PERSON_1⟧ <⟦EMAIL_1⟧> said he will come in May. Will arrived late; ⟦PERSON_1⟧ apologised.');
  });

  test('names in prose with no other clue are found', () => {
    const vault = new Vault('v_p');
    const out = pseudonymize('The build broke and Evgeniy Gorbanev reviewed it. The fix came from Roozbeh Pournader and Derick Rethans.', vault).text;
    expect(out).not.toMatch(/Evgeniy|Gorbanev|Roozbeh|Pournader|Derick|Rethans/);
    // In the credit line where tzdata's NEWS has them, both names of the issue are found.
    expect(pseudonymize('(Thanks to Heitor David Pinto and Even Scharning.)', vault).text).toBe('(Thanks to ⟦PERSON_4⟧ and ⟦PERSON_5⟧.)');
  });

  // A known gap, kept visible: a given name that is also a common word ("Even", "Will", "May")
  // opening a sentence is read as the word, so its surname is not taken either. Turn this into
  // `test` when the rule learns to take "Even Scharning fixed…" without taking "Even so, …".
  test.fails('a common-word given name opening a sentence is not yet taken as a name', () => {
    const out = pseudonymize('Even Scharning fixed the build.', new Vault('v_q')).text;
    expect(out).not.toMatch(/Scharning/);
  });

  test('a one-word name in the vault that is also a common word keeps the same rule', () => {
    const vault = new Vault('v_one');
    vault.placeholderFor('PERSON', 'Will');
    expect(pseudonymize('Will it rain? I asked Will, and he will know.', vault).text).toBe(
      'Will it rain? I asked ⟦PERSON_1⟧, and he will know.',
    );
  });

  test('placeholders already in the text are left alone', () => {
    const vault = new Vault('v_again');
    const once = pseudonymize('Maria Garcia <maria@example.com> lives at 221B Baker Street.', vault).text;
    expect(pseudonymize(once, vault).text).toBe(once);
  });
});

describe('addresses and phone numbers in several countries\' formats', () => {
  test('street-first and European addresses', () => {
    const found = types(
      'Send it to Via Roma 15, 00184 Roma or to 1 Infinite Loop, Cupertino. In Paris: Rue de Rivoli 10 or 10 rue de Rivoli; Calle Mayor 5 in Madrid.',
    );
    expect(found).toEqual([
      'ADDRESS:Via Roma 15',
      'ADDRESS:1 Infinite Loop',
      'ADDRESS:Rue de Rivoli 10',
      'ADDRESS:10 rue de Rivoli',
      'ADDRESS:Calle Mayor 5',
    ]);
  });

  test('national numbers of the countries the text is about, 555 numbers; not ISBNs, orders or dates', () => {
    expect(types('Call our London office on 020 7946 0018 or the desk at 555-867-5309, or 555-0132.')).toEqual([
      'PHONE:020 7946 0018',
      'PHONE:555-867-5309',
      'PHONE:555-0132',
    ]);
    expect(types('Berlin: 030 901820. Paris: 01 42 68 53 00.')).toEqual(['PHONE:030 901820', 'PHONE:01 42 68 53 00']);
    expect(types('Order 123-4567 shipped on 2024-03-14; version 1.2.3; ISBN 978-3-16-148410-0; ticket #20240314.')).toEqual([]);
    expect(phoneRegionsFor('Ring +33 1 42 68 53 00 or pay £20 at shop.example.it', 'US').slice(0, 4)).toEqual(
      expect.arrayContaining(['US', 'FR', 'GB', 'IT']),
    );
  });
});

describe('every detector runs in linear time', () => {
  // A quadratic detector needs minutes on these (the entity tagger took 49.6 s on 160 KB of dots);
  // each input also hides one real value at the end that must still be found.
  const tail = ' Write to bob@example.com now.';
  const runs: Array<[string, number]> = [
    ['.', 1_000_000],
    [' ', 1_000_000],
    ['@', 1_000_000],
    ['1', 200_000],
    ['-', 200_000],
    ['a', 200_000],
    ['a@', 200_000],
    ['1.', 200_000],
    ['1 ', 200_000],
    ['1-', 200_000],
    ['1:', 200_000],
    ['a.', 200_000],
    ['a@b.', 200_000],
    ['+1 ', 200_000],
    ['\n1999 ', 200_000],
    ['Ab ', 50_000],
    ['Ab <', 50_000],
  ];
  for (const [unit, size] of runs) {
    test(`${size / 1000} KB of ${JSON.stringify(unit)}`, () => {
      const text = unit.repeat(Math.ceil(size / unit.length)) + tail;
      const found = detectPrivateData(text).map((s) => `${s.type}:${s.value}`);
      expect(found).toEqual(['EMAIL:bob@example.com']);
    });
  }

  test('the tagger gets bounded pieces, cut at line breaks, and skips runs of punctuation', () => {
    const text = `${'Maria Garcia wrote a line.\n'.repeat(800)}${'.'.repeat(5000)}Bob Smith`;
    const pieces = taggerPieces(text);
    expect(pieces.every(([a, b]) => b - a <= 4000)).toBe(true);
    expect(pieces.every(([a]) => a === 0 || text[a - 1] === '\n' || text[a - 1] === '.')).toBe(true);
    expect(pieces.some(([a, b]) => text.slice(a, b).includes('.....'))).toBe(false);
    expect(text.slice(...(pieces.at(-1) as [number, number]))).toBe('Bob Smith');
  });

  test('pseudonymize handles a 4 MB text piece by piece and round-trips it', () => {
    const line = 'ticket from bob@example.com via 10.0.0.7, card 4111 1111 1111 1111, nothing else to report here.\n';
    const text = line.repeat(Math.ceil(4_000_000 / line.length));
    const vault = new Vault('v_big');
    const r = pseudonymize(text, vault);
    expect(r.counts).toEqual({ EMAIL: r.replaced / 3, IP: r.replaced / 3, CARD: r.replaced / 3 });
    expect(r.text).not.toContain('bob@example.com');
    expect(restorePlaceholders(r.text, vault).text).toBe(text);
  });
});

describe('vault-wide matching with a large vault', () => {
  test('5,000 values sharing a first word: every later occurrence gets its own placeholder', () => {
    const vault = new Vault('v_large');
    // Values only the vault knows (no terms are passed below), all starting with the same word.
    const sites = Array.from({ length: 5000 }, (_, i) => `Acme Site ${i}`);
    for (const site of sites) vault.placeholderFor('TERM', site);
    const picked = sites.filter((_, i) => i % 50 === 7);
    const text = picked.map((site) => `visit ${site} today`).join('; ');
    const r = pseudonymize(text, vault);
    expect(r.counts).toEqual({ TERM: picked.length });
    expect(r.text).toContain('visit ⟦TERM_8⟧ today; visit ⟦TERM_58⟧ today');
    expect(restorePlaceholders(r.text, vault).text).toBe(text);
  });
});

describe('the outgoing check', () => {
  test('finds what detectors and the vault know, skips placeholders, never returns values', () => {
    const vault = new Vault('v_check');
    const sent = pseudonymize('Ian Murdock <imurdock@debian.org> wrote it.', vault).text;
    expect(checkOutgoing(sent, { vault }).hits).toEqual({});
    const leak = checkOutgoing(`${sent} Also ask Murdock, or call 555-867-5309.`, { vault });
    expect(leak.hits).toEqual({ PERSON: 1, PHONE: 1 });
    expect(leak.vaultHits).toBe(1);
    expect(leak.detectors).toEqual([...PRIVATE_TYPES]);
    expect(leak.vaultValuesChecked).toBeGreaterThanOrEqual(4);
    expect(JSON.stringify(leak)).not.toContain('Murdock');
  });
});
