/**
 * A vault maps private values to typed, stable placeholders (`⟦PERSON_1⟧`) and back. Pure data:
 * ids are minted by the caller (store/vault.ts) so this module needs no randomness or I/O.
 *
 * Identity is the type plus the exact surface text: the same text always gets the same
 * placeholder within a vault, and restoring gives back exactly what was replaced.
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

export interface VaultSnapshot {
  id: string;
  created: number;
  entries: VaultEntry[];
}

export class Vault {
  private readonly byValue = new Map<string, VaultEntry>();
  private readonly byPlaceholder = new Map<string, VaultEntry>();
  private readonly next = new Map<PrivateType, number>();

  constructor(
    readonly id: string,
    readonly created: number = Date.now(),
  ) {}

  get size(): number {
    return this.byPlaceholder.size;
  }

  /** The placeholder for this value, minting the next number of its type on first sight. */
  placeholderFor(type: PrivateType, value: string): string {
    const key = `${type}\u0000${value}`;
    let entry = this.byValue.get(key);
    if (!entry) {
      const n = (this.next.get(type) ?? 0) + 1;
      this.next.set(type, n);
      entry = { type, n, value };
      this.byValue.set(key, entry);
      this.byPlaceholder.set(`${type}_${n}`, entry);
    }
    return formatPlaceholder(entry.type, entry.n);
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
    };
  }

  static fromJSON(snapshot: VaultSnapshot): Vault {
    const vault = new Vault(snapshot.id, snapshot.created);
    for (const e of snapshot.entries) {
      const entry = { type: e.type, n: e.n, value: e.value };
      vault.byValue.set(`${e.type}\u0000${e.value}`, entry);
      vault.byPlaceholder.set(`${e.type}_${e.n}`, entry);
      vault.next.set(e.type, Math.max(vault.next.get(e.type) ?? 0, e.n));
    }
    return vault;
  }
}
