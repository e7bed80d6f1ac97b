/**
 * Canonical JSON: object keys sorted by code unit, no whitespace, `undefined` members dropped, so
 * equal values give equal bytes on every node. Used for unit content addresses and for the bytes a
 * node signs. Byte arrays are encoded as base64 strings; a non-finite number or a value JSON cannot
 * carry (a function, a bigint, a class instance other than a byte array) is refused rather than
 * silently changed, since two nodes must never sign different readings of one value.
 */
export function canonicalJson(value: unknown): string {
  return write(value, 0);
}

const MAX_DEPTH = 64;

function write(value: unknown, depth: number): string {
  if (depth > MAX_DEPTH) throw new TypeError('canonicalJson: nested too deeply');
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonicalJson: numbers must be finite');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((item) => write(item, depth + 1)).join(',')}]`;
      if (ArrayBuffer.isView(value)) {
        return JSON.stringify(
          Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'),
        );
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        throw new TypeError('canonicalJson: only plain objects, arrays and byte arrays can be encoded');
      }
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${write(v, depth + 1)}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonicalJson: cannot encode a ${typeof value}`);
  }
}
