/**
 * Python's text of a value, as an f-string writes it (`f"weighted_{name}"`, `f"loss_{i:.2f}"`): str()
 * and repr() of Python strings, numbers, booleans and None, and the format mini-language's common
 * specs for them (fill, alignment, sign, width, thousands comma, precision, types s d f F e E %).
 * Anything else (a tensor, a spec with another type) is undefined: the caller refuses it.
 */
import type { Val } from './values';

/** Python's repr() of a float (shortest round-trip digits; exponent form below 1e-4 and from 1e16). */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const ax = Math.abs(x);
  if (ax >= 1e16 || ax < 1e-4) {
    // JS's shortest digits, in Python's exponent form (two digits at least: 1e-05).
    const [m, e] = x.toExponential().split('e');
    const n = Number(e);
    return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  // Between them JS writes the same shortest digits in positional form.
  const s = String(x);
  return s.includes('.') ? s : `${s}.0`;
}

/** str() of a Python value, or undefined where it is not one of those modelled. */
export function pyStr(v: Val): string | undefined {
  switch (v.t) {
    case 'str':
      return v.v;
    case 'num':
      return v.int ? String(v.v) : pyFloatRepr(v.v);
    case 'bool':
      return v.v ? 'True' : 'False';
    case 'none':
      return 'None';
    default:
      return undefined;
  }
}

/** repr() of a Python value (a string in single quotes, as Python writes it), or undefined. */
export function pyRepr(v: Val): string | undefined {
  if (v.t !== 'str') return pyStr(v);
  const q = v.v.includes("'") && !v.v.includes('"') ? '"' : "'";
  return `${q}${v.v.replace(/\\/g, '\\\\').replace(q === "'" ? /'/g : /"/g, `\\${q}`)}${q}`;
}

const SPEC = /^(?:(.)?([<>=^]))?([+\- ])?(0)?(\d+)?(,)?(?:\.(\d+))?([sdfFeE%])?$/;

/** `format(v, spec)` for the specs named above, or undefined (another spec, or a value that takes none). */
export function pyFormat(v: Val, spec: string): string | undefined {
  if (spec === '') return pyStr(v);
  const m = SPEC.exec(spec);
  if (!m) return undefined;
  const [, fill0, align0, sign = '-', zero, width0, comma, prec0, type] = m;
  const prec = prec0 === undefined ? undefined : Number(prec0);
  let body: string;
  let numeric = false;
  if (v.t === 'str') {
    if (type && type !== 's') return undefined;
    if (sign !== '-' || comma) return undefined;
    body = prec === undefined ? v.v : v.v.slice(0, prec);
  } else if (v.t === 'num' || v.t === 'bool') {
    numeric = true;
    const x = v.t === 'bool' ? Number(v.v) : v.v;
    const int = v.t === 'bool' || v.int;
    const t = type ?? (int ? 'd' : prec !== undefined ? 'g' : '');
    let digits: string;
    if (t === 'd') {
      if (!int) return undefined;
      digits = String(Math.abs(x));
    } else if (t === 'f' || t === 'F') digits = Math.abs(x).toFixed(prec ?? 6);
    else if (t === 'e' || t === 'E') {
      const [mm, e] = Math.abs(x).toExponential(prec ?? 6).split('e');
      const n = Number(e);
      digits = `${mm}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
      if (t === 'E') digits = digits.toUpperCase();
    } else if (t === '%') digits = `${(Math.abs(x) * 100).toFixed(prec ?? 6)}%`;
    else if (t === '' && prec === undefined) digits = int ? String(Math.abs(x)) : pyFloatRepr(Math.abs(x));
    else return undefined;
    if (!Number.isFinite(x)) digits = Number.isNaN(x) ? 'nan' : 'inf';
    if (comma) {
      const [ip, fp] = digits.split('.');
      if (/\D/.test(ip)) return undefined;
      digits = ip.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (fp !== undefined ? `.${fp}` : '');
    }
    const neg = x < 0 || Object.is(x, -0);
    body = (neg ? '-' : sign === '+' ? '+' : sign === ' ' ? ' ' : '') + digits;
  } else return undefined;
  const width = width0 === undefined ? 0 : Number(width0);
  if (body.length >= width) return body;
  const align = align0 ?? (zero && numeric ? '=' : numeric ? '>' : '<');
  const fill = fill0 ?? (zero && !align0 ? '0' : ' ');
  const pad = width - body.length;
  if (align === '<') return body + fill.repeat(pad);
  if (align === '>') return fill.repeat(pad) + body;
  if (align === '^') return fill.repeat(Math.floor(pad / 2)) + body + fill.repeat(pad - Math.floor(pad / 2));
  // '=': the padding after the sign.
  const signed = /^[-+ ]/.test(body) ? 1 : 0;
  return body.slice(0, signed) + fill.repeat(pad) + body.slice(signed);
}
