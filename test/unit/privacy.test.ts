import { describe, expect, test } from 'vitest';
import { buildPrivacyCorpus } from '../../bench/condense-corpus.js';
import {
  cardNumberValid,
  detectPrivateData,
  ibanValid,
  pseudonymize,
  restorePlaceholders,
} from '../../src/text/privacy.js';
import { Vault } from '../../src/text/vault.js';

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
