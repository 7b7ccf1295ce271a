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

/** What `torch.finfo(dtype)` / `numpy.finfo(dtype)` report of a float format (its attributes the losses read). */
export interface FloatInfo {
  eps: number;
  tiny: number;
  smallest_normal: number;
  max: number;
  min: number;
  resolution: number;
}

export const FLOAT_INFO: Record<FloatFormat | 'float64', FloatInfo> = {
  float64: { eps: 2.220446049250313e-16, tiny: 2.2250738585072014e-308, smallest_normal: 2.2250738585072014e-308, max: 1.7976931348623157e308, min: -1.7976931348623157e308, resolution: 1e-15 },
  float32: { eps: 1.1920928955078125e-7, tiny: 1.1754943508222875e-38, smallest_normal: 1.1754943508222875e-38, max: 3.4028234663852886e38, min: -3.4028234663852886e38, resolution: 1e-6 },
  float16: { eps: 0.0009765625, tiny: 6.103515625e-5, smallest_normal: 6.103515625e-5, max: 65504, min: -65504, resolution: 0.001 },
  bfloat16: { eps: 0.0078125, tiny: 1.1754943508222875e-38, smallest_normal: 1.1754943508222875e-38, max: 3.3895313892515355e38, min: -3.3895313892515355e38, resolution: 0.01 },
};

/** The `finfo` calls of the frameworks (PyTorch's takes no dtype for its default, float32). */
export const FINFO_CALLS: ReadonlySet<string> = new Set(['torch.finfo', 'numpy.finfo', 'jax.numpy.finfo']);

/** The float format a dtype's name denotes (`float32`, `float`, `half`, `double`, ...), if it is one. */
export function floatFormatOf(name: string | undefined): FloatFormat | 'float64' | undefined {
  switch (name?.replace(/^.*\./, '')) {
    case 'float32':
    case 'float':
    case 'single':
      return 'float32';
    case 'float16':
    case 'half':
      return 'float16';
    case 'bfloat16':
      return 'bfloat16';
    case 'float64':
    case 'double':
      return 'float64';
    default:
      return undefined;
  }
}
