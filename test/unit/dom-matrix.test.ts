/**
 * prechew's affine DOMMatrix (for pdfjs-dist on a light install) against @napi-rs/canvas's real
 * one, where that is installed: the same operations give the same six numbers.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { AffineDOMMatrix } from '../../src/engines/documents/dom-matrix.js';

type Six = { a: number; b: number; c: number; d: number; e: number; f: number };
interface Matrix extends Six {
  multiplySelf(o: unknown): Matrix;
  preMultiplySelf(o: unknown): Matrix;
  translateSelf(x: number, y: number): Matrix;
  scaleSelf(x: number, y?: number): Matrix;
  invertSelf(): Matrix;
}
type MatrixCtor = new (init?: number[]) => Matrix;

let Reference: MatrixCtor | undefined;
let missing = '';
try {
  Reference = (createRequire(import.meta.url)('@napi-rs/canvas') as { DOMMatrix: MatrixCtor }).DOMMatrix;
} catch (error) {
  missing = (error as Error).message.split('\n')[0]!;
}

const six = (m: Six): number[] => [m.a, m.b, m.c, m.d, m.e, m.f];

function run(Ctor: MatrixCtor): number[][] {
  const out: number[][] = [];
  out.push(six(new Ctor()));
  out.push(six(new Ctor([2, 0.5, -1, 3, 10, -4]).multiplySelf(new Ctor([0.5, 1, 2, -1, 3, 7]))));
  out.push(six(new Ctor([2, 0.5, -1, 3, 10, -4]).preMultiplySelf(new Ctor([0.5, 1, 2, -1, 3, 7]))));
  out.push(six(new Ctor([1, 2, 3, 4, 5, 6]).translateSelf(7, -8)));
  out.push(six(new Ctor([1, 2, 3, 4, 5, 6]).scaleSelf(2, -3)));
  out.push(six(new Ctor([1, 2, 3, 4, 5, 6]).scaleSelf(2)));
  out.push(six(new Ctor([2, 0.5, -1, 3, 10, -4]).invertSelf()));
  out.push(six(new Ctor([1, 0, 0, 1, 0, 0]).scaleSelf(1 / 612, -1 / 792).translateSelf(0, -792)));
  return out;
}

describe('AffineDOMMatrix', () => {
  it('inverts exactly: M × M⁻¹ is the identity', () => {
    const m = new AffineDOMMatrix([2, 0.5, -1, 3, 10, -4]);
    const product = m.multiply(m.inverse());
    for (const [got, want] of six(product).map((v, i) => [v, [1, 0, 0, 1, 0, 0][i]!])) expect(got).toBeCloseTo(want!, 12);
    expect(six(new AffineDOMMatrix([1, 2, 2, 4, 0, 0]).invertSelf()).every(Number.isNaN)).toBe(true);
  });

  it.runIf(Reference)('matches @napi-rs/canvas DOMMatrix operation for operation', () => {
    const ours = run(AffineDOMMatrix as unknown as MatrixCtor);
    const theirs = run(Reference!);
    ours.forEach((row, i) => row.forEach((v, j) => expect(v, `case ${i}, value ${j}`).toBeCloseTo(theirs[i]![j]!, 9)));
  });

  it.skipIf(Reference)(`needs @napi-rs/canvas for the comparison (${missing})`, () => undefined);
});
