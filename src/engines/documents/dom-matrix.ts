/**
 * A minimal 2-D DOMMatrix for pdfjs-dist in Node when @napi-rs/canvas is absent. pdfjs-dist 5
 * creates a DOMMatrix while its module loads and takes the class from @napi-rs/canvas, an
 * optional dependency that a light install (`npm install --omit=optional`) leaves out; without
 * one the import throws and no PDF converts. Text extraction never renders, so an affine matrix
 * with the methods pdfjs calls is enough. Installed only when no DOMMatrix can be had otherwise.
 */
import { createRequire } from 'node:module';

type Init = ArrayLike<number> | { a: number; b: number; c: number; d: number; e: number; f: number };

export class AffineDOMMatrix {
  a = 1;
  b = 0;
  c = 0;
  d = 1;
  e = 0;
  f = 0;

  constructor(init?: Init) {
    if (init === undefined) return;
    if ('a' in init) {
      this.setValues(init.a, init.b, init.c, init.d, init.e, init.f);
    } else if (init.length === 6) {
      this.setValues(init[0]!, init[1]!, init[2]!, init[3]!, init[4]!, init[5]!);
    } else if (init.length === 16) {
      // Column-major 4×4: m11 m12 _ _ m21 m22 _ _ _ _ _ _ m41 m42 _ _
      this.setValues(init[0]!, init[1]!, init[4]!, init[5]!, init[12]!, init[13]!);
    } else {
      throw new TypeError('DOMMatrix init must have 6 or 16 numbers');
    }
  }

  get m11(): number { return this.a; }
  get m12(): number { return this.b; }
  get m21(): number { return this.c; }
  get m22(): number { return this.d; }
  get m41(): number { return this.e; }
  get m42(): number { return this.f; }
  get is2D(): boolean { return true; }
  get isIdentity(): boolean {
    return this.a === 1 && this.b === 0 && this.c === 0 && this.d === 1 && this.e === 0 && this.f === 0;
  }

  private setValues(a: number, b: number, c: number, d: number, e: number, f: number): this {
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    this.e = e;
    this.f = f;
    return this;
  }

  /** this = this × other */
  multiplySelf(other: Init): this {
    const o = other instanceof AffineDOMMatrix ? other : new AffineDOMMatrix(other);
    return this.setValues(
      this.a * o.a + this.c * o.b,
      this.b * o.a + this.d * o.b,
      this.a * o.c + this.c * o.d,
      this.b * o.c + this.d * o.d,
      this.a * o.e + this.c * o.f + this.e,
      this.b * o.e + this.d * o.f + this.f,
    );
  }

  /** this = other × this */
  preMultiplySelf(other: Init): this {
    const o = new AffineDOMMatrix(other instanceof AffineDOMMatrix ? [other.a, other.b, other.c, other.d, other.e, other.f] : other);
    o.multiplySelf(this);
    return this.setValues(o.a, o.b, o.c, o.d, o.e, o.f);
  }

  translateSelf(tx = 0, ty = 0): this {
    return this.multiplySelf([1, 0, 0, 1, tx, ty]);
  }

  scaleSelf(sx = 1, sy = sx): this {
    return this.multiplySelf([sx, 0, 0, sy, 0, 0]);
  }

  invertSelf(): this {
    const det = this.a * this.d - this.b * this.c;
    if (det === 0 || !Number.isFinite(det)) return this.setValues(NaN, NaN, NaN, NaN, NaN, NaN);
    return this.setValues(
      this.d / det,
      -this.b / det,
      -this.c / det,
      this.a / det,
      (this.c * this.f - this.d * this.e) / det,
      (this.b * this.e - this.a * this.f) / det,
    );
  }

  multiply(other: Init): AffineDOMMatrix {
    return this.copy().multiplySelf(other);
  }
  translate(tx?: number, ty?: number): AffineDOMMatrix {
    return this.copy().translateSelf(tx, ty);
  }
  scale(sx?: number, sy?: number): AffineDOMMatrix {
    return this.copy().scaleSelf(sx, sy);
  }
  inverse(): AffineDOMMatrix {
    return this.copy().invertSelf();
  }
  transformPoint(point: { x?: number; y?: number } = {}): { x: number; y: number; z: number; w: number } {
    const x = point.x ?? 0;
    const y = point.y ?? 0;
    return { x: this.a * x + this.c * y + this.e, y: this.b * x + this.d * y + this.f, z: 0, w: 1 };
  }
  toFloat64Array(): Float64Array {
    return new Float64Array([this.a, this.b, 0, 0, this.c, this.d, 0, 0, 0, 0, 1, 0, this.e, this.f, 0, 1]);
  }

  private copy(): AffineDOMMatrix {
    return new AffineDOMMatrix([this.a, this.b, this.c, this.d, this.e, this.f]);
  }
}

/**
 * Before pdfjs-dist loads: when neither Node nor @napi-rs/canvas provides a DOMMatrix, install the
 * affine one. (pdfjs would take canvas's own when it loads; this only fills the gap it leaves.)
 */
export function ensureDomMatrix(): void {
  const g = globalThis as { DOMMatrix?: unknown };
  if (g.DOMMatrix) return;
  try {
    const canvas = createRequire(import.meta.url)('@napi-rs/canvas') as { DOMMatrix?: unknown };
    if (canvas.DOMMatrix) return;
  } catch {
    // not installed (light install) or no binary for this platform
  }
  g.DOMMatrix = AffineDOMMatrix;
}
