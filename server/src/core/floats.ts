/**
 * Rounding of a JavaScript number to the floating-point formats tensors are stored in, for the rules
 * that ask whether a constant survives (LL203, LL205): `1 - 1e-10` is exactly 1.0 in float32, `1e-8`
 * is 0 in float16. Round to nearest, ties to even, as IEEE 754 conversions do.
 */

export type FloatFormat = 'float32' | 'float16' | 'bfloat16';

const FORMATS: Record<Exclude<FloatFormat, 'float32'>, { mant: number; minExp: number; maxExp: number }> = {
  float16: { mant: 10, minExp: -14, maxExp: 15 },
  bfloat16: { mant: 7, minExp: -126, maxExp: 127 },
};

/** `x` as stored in `format` (Infinity beyond its largest finite value). */
export function roundTo(x: number, format: FloatFormat): number {
  if (format === 'float32') return Math.fround(x);
  if (!Number.isFinite(x) || x === 0) return x;
  const { mant, minExp, maxExp } = FORMATS[format];
  const a = Math.abs(x);
  const e = Math.max(minExp, Math.floor(Math.log2(a)));
  // Near powers of two log2 can be off by one; keep a in [2^e, 2^(e+1)) unless subnormal.
  const exp = a >= 2 ** (e + 1) ? e + 1 : a < 2 ** e && e > minExp ? e - 1 : e;
  const step = 2 ** (exp - mant);
  const q = a / step;
  const f = Math.floor(q);
  const frac = q - f;
  const r = frac > 0.5 ? f + 1 : frac < 0.5 ? f : f % 2 === 0 ? f : f + 1;
  const out = r * step;
  const max = (2 - 2 ** -mant) * 2 ** maxExp;
  return Math.sign(x) * (out > max ? Infinity : out);
}

/** The smallest positive number the format stores (its smallest subnormal). */
export function tiniest(format: FloatFormat): number {
  if (format === 'float32') return 2 ** -149;
  const { mant, minExp } = FORMATS[format];
  return 2 ** (minExp - mant);
}
