/**
 * A vault maps private values to typed, stable placeholders (`⟦PERSON_1⟧`) and back. Pure data:
 * ids are minted by the caller (store/vault.ts) so this module needs no randomness or I/O.
 *
 * Identity is the type plus the surface text: the same text always gets the same placeholder
 * within a vault. A person is one placeholder however the name is written: once a full name
 * ("Ian Murdock") is in the vault, its parts ("Murdock", "Ian") and longer forms sharing the
 * first and last name ("Ian A. Murdock") are aliases of the same entry, so restoring gives back
 * the name as first seen. `knownValues` lists everything the vault would replace, for the
 * vault-wide matching in privacy.ts and the outgoing-request check in ask.
 */

export const PRIVATE_TYPES = ['PERSON', 'EMAIL', 'PHONE', 'CARD', 'IBAN', 'IP', 'ADDRESS', 'TERM'] as const;
export type PrivateType = (typeof PRIVATE_TYPES)[number];

export const PLACEHOLDER_OPEN = '\u27e6'; // ⟦
export const PLACEHOLDER_CLOSE = '\u27e7'; // ⟧

export function formatPlaceholder(type: PrivateType, n: number): string {
  return `${PLACEHOLDER_OPEN}${type}_${n}${PLACEHOLDER_CLOSE}`;
}

export interface VaultEntry {
  type: PrivateType;
  n: number;
  value: string;
}

export interface VaultAlias {
  type: PrivateType;
  n: number;
  /** Another surface form of entry `TYPE_n` (a longer or differently written full name). */
  value: string;
}

export interface VaultSnapshot {
  id: string;
  created: number;
  entries: VaultEntry[];
  aliases?: VaultAlias[];
}

/** A name token: letters with inner apostrophes or hyphens ("O'Brien", "Jean-Luc"); not an initial. */
const NAME_TOKEN = /^\p{Lu}[\p{L}\p{M}'’-]*\p{L}$/u;
/** Lower-case particles inside names ("van", "de"): never matched on their own. */
const PARTICLES = new Set(['da', 'de', 'del', 'della', 'der', 'di', 'dos', 'du', 'la', 'le', 'van', 'von', 'ter', 'ten', 'bin', 'al']);

/** The parts of a person's name that identify them on their own: name tokens of 2+ letters. */
export function personNameParts(name: string): string[] {
  return name
    .split(/[\s,]+/)
    .map((t) => t.replace(/[.]+$/, ''))
    .filter((t) => t.length >= 2 && NAME_TOKEN.test(t) && !PARTICLES.has(t.toLowerCase()));
}

export interface NamePart {
  entry: VaultEntry;
  /** First token of the full name (a given name), which needs more context to replace when it is also a common word. */
  given: boolean;
}

export class Vault {
  private readonly byValue = new Map<string, VaultEntry>();
  private readonly byPlaceholder = new Map<string, VaultEntry>();
  private readonly next = new Map<PrivateType, number>();
  private readonly aliases: VaultAlias[] = [];
  /** Name part → the one person it belongs to; null once two different people share it. */
  private readonly parts = new Map<string, NamePart | null>();
  /** person "first last" key → entry, to unify "Ian Murdock" and "Ian A. Murdock". */
  private readonly firstLast = new Map<string, VaultEntry>();

  constructor(
    readonly id: string,
    readonly created: number = Date.now(),
  ) {}

  get size(): number {
    return this.byPlaceholder.size;
  }

  /** The placeholder for this value, minting the next number of its type on first sight. */
  placeholderFor(type: PrivateType, value: string): string {
    const entry = this.entryFor(type, value);
    return formatPlaceholder(entry.type, entry.n);
  }

  private entryFor(type: PrivateType, value: string): VaultEntry {
    const key = `${type}\u0000${value}`;
    const known = this.byValue.get(key);
    if (known) return known;
    if (type === 'PERSON') {
      const same = this.samePerson(value);
      if (same) {
        this.addAlias({ type, n: same.n, value }, same);
        return same;
      }
    }
    const n = (this.next.get(type) ?? 0) + 1;
    this.next.set(type, n);
    const entry: VaultEntry = { type, n, value };
    this.byValue.set(key, entry);
    this.byPlaceholder.set(`${type}_${n}`, entry);
    if (type === 'PERSON') this.indexPerson(entry, value);
    return entry;
  }

  /** An existing person this name refers to: same first and last name, or a lone known part. */
  private samePerson(value: string): VaultEntry | undefined {
    const parts = personNameParts(value);
    if (parts.length >= 2) return this.firstLast.get(firstLastKey(parts));
    if (parts.length === 1 && value.trim() === parts[0]) {
      const part = this.parts.get(parts[0] as string);
      return part ? part.entry : undefined;
    }
    return undefined;
  }

  private addAlias(alias: VaultAlias, entry: VaultEntry): void {
    this.byValue.set(`${alias.type}\u0000${alias.value}`, entry);
    this.aliases.push(alias);
    if (alias.type === 'PERSON') this.indexPerson(entry, alias.value);
  }

  private indexPerson(entry: VaultEntry, value: string): void {
    const parts = personNameParts(value);
    if (parts.length < 2) return;
    if (!this.firstLast.has(firstLastKey(parts))) this.firstLast.set(firstLastKey(parts), entry);
    parts.forEach((part, i) => {
      const had = this.parts.get(part);
      if (had === undefined) this.parts.set(part, { entry, given: i === 0 });
      else if (had !== null && had.entry !== entry) this.parts.set(part, null);
    });
  }

  /** The person a single name token belongs to (undefined when unknown or shared by two people). */
  namePart(token: string): NamePart | undefined {
    return this.parts.get(token) ?? undefined;
  }

  /** Every surface value this vault replaces (entries and aliases), with its type. */
  knownValues(): Array<{ type: PrivateType; value: string }> {
    return [...this.byPlaceholder.values(), ...this.aliases].map((e) => ({ type: e.type, value: e.value }));
  }

  /** Single-token name parts this vault knows, for matching. */
  knownNameParts(): string[] {
    return [...this.parts.entries()].filter(([, p]) => p !== null).map(([t]) => t);
  }

  /** The original value behind `TYPE_n`, or undefined when this vault never minted it. */
  lookup(type: string, n: number): string | undefined {
    return this.byPlaceholder.get(`${type.toUpperCase()}_${n}`)?.value;
  }

  toJSON(): VaultSnapshot {
    return {
      id: this.id,
      created: this.created,
      entries: [...this.byPlaceholder.values()].map((e) => ({ ...e })),
      aliases: this.aliases.map((a) => ({ ...a })),
    };
  }

  static fromJSON(snapshot: VaultSnapshot): Vault {
    const vault = new Vault(snapshot.id, snapshot.created);
    for (const e of snapshot.entries) {
      const entry = { type: e.type, n: e.n, value: e.value };
      vault.byValue.set(`${e.type}\u0000${e.value}`, entry);
      vault.byPlaceholder.set(`${e.type}_${e.n}`, entry);
      vault.next.set(e.type, Math.max(vault.next.get(e.type) ?? 0, e.n));
      if (e.type === 'PERSON') vault.indexPerson(entry, e.value);
    }
    for (const a of snapshot.aliases ?? []) {
      const entry = vault.byPlaceholder.get(`${a.type}_${a.n}`);
      if (entry) vault.addAlias({ type: a.type, n: a.n, value: a.value }, entry);
    }
    return vault;
  }
}

function firstLastKey(parts: readonly string[]): string {
  return `${parts[0] ?? ''}\u0000${parts[parts.length - 1] ?? ''}`;
}
