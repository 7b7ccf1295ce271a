/**
 * Unit tests for server/src/config: settings layering, pyproject.toml discovery and caching,
 * `[tool.losslint]` validation, `exclude` and `per-file-ignores`. Every test works in its own
 * temporary directory and checks codes against a fixed list, not the live registry.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConfigLoader,
  type ConfigError,
  DEFAULT_MAX_FILE_SIZE,
  clearProjectConfigCache,
  describeConfigError,
  loadProjectConfig,
  mergeSettings,
} from '../../server/src/config';
import { DEFAULT_SETTINGS, type LintSettings } from '../../server/src/core/types';

const KNOWN = ['LL101', 'LL102', 'LL103', 'LL201', 'LL301'];

let root: string;

beforeEach(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'losslint-config-')));
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** Writes files under the temporary root, creating folders as needed. */
function write(files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(root, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
}

function loader(errors: ConfigError[] = [], configFile?: string): ConfigLoader {
  return new ConfigLoader({ knownCodes: KNOWN, onError: (e) => errors.push(e), configFile });
}

describe('mergeSettings', () => {
  const base: LintSettings = { select: ['LL1'], ignore: ['LL102'], severity: { LL101: 'error' }, strict: false };

  it('keeps the base when the override sets nothing', () => {
    expect(mergeSettings(base, {})).toEqual(base);
  });

  it('lets a non-empty select redefine the whole selection', () => {
    expect(mergeSettings(base, { select: ['LL102'] })).toMatchObject({ select: ['LL102'], ignore: [] });
    expect(mergeSettings(base, { select: ['LL2'], ignore: ['LL201'] })).toMatchObject({ select: ['LL2'], ignore: ['LL201'] });
  });

  it('treats an empty select as unset and adds ignores', () => {
    expect(mergeSettings(base, { select: [], ignore: ['LL103', 'LL102'] })).toMatchObject({
      select: ['LL1'],
      ignore: ['LL102', 'LL103'],
    });
  });

  it('merges severities per code and takes strict from the override', () => {
    const merged = mergeSettings(base, { severity: { LL101: 'hint', LL103: 'off' }, strict: true });
    expect(merged.severity).toEqual({ LL101: 'hint', LL103: 'off' });
    expect(merged.strict).toBe(true);
    expect(mergeSettings({ ...base, strict: true }, { strict: false }).strict).toBe(false);
  });

  it('does not modify its arguments', () => {
    const snapshot = structuredClone(base);
    const merged = mergeSettings(base, { ignore: ['LL103'], severity: { LL103: 'info' } });
    merged.select.push('LL9');
    expect(base).toEqual(snapshot);
  });
});

describe('ConfigLoader', () => {
  it('uses the defaults when there is no pyproject.toml', () => {
    write({ 'src/a.py': '' });
    const config = loader().forFile(path.join(root, 'src/a.py'));
    expect(config.settings).toEqual(DEFAULT_SETTINGS);
    expect(config.error).toBeUndefined();
    expect(config.excluded).toBe(false);
  });

  it('reads every key of the nearest [tool.losslint] and normalizes codes', () => {
    write({
      'pyproject.toml': [
        '[tool.losslint]',
        'select = ["ll1", "LL201"]',
        'ignore = ["LL102"]',
        'strict = true',
        '[tool.losslint.severity]',
        'LL103 = "error"',
        'll201 = "off"',
      ].join('\n'),
      'pkg/sub/a.py': '',
    });
    const config = loader().forFile(path.join(root, 'pkg/sub/a.py'));
    expect(config.configPath).toBe(path.join(root, 'pyproject.toml'));
    expect(config.settings).toEqual({
      select: ['LL1', 'LL201'],
      ignore: ['LL102'],
      severity: { LL103: 'error', LL201: 'off' },
      strict: true,
    });
  });

  it('skips a pyproject.toml without [tool.losslint] and keeps walking up', () => {
    write({
      'pyproject.toml': '[tool.losslint]\nstrict = true\n',
      'pkg/pyproject.toml': '[project]\nname = "pkg"\n',
      'pkg/a.py': '',
    });
    const config = loader().forFile(path.join(root, 'pkg/a.py'));
    expect(config.configPath).toBe(path.join(root, 'pyproject.toml'));
    expect(config.settings.strict).toBe(true);
  });

  it('prefers the nearest configuration over a parent one', () => {
    write({
      'pyproject.toml': '[tool.losslint]\nstrict = true\n',
      'pkg/pyproject.toml': '[tool.losslint]\nignore = ["LL103"]\n',
      'pkg/a.py': '',
    });
    const config = loader().forFile(path.join(root, 'pkg/a.py'));
    expect(config.configPath).toBe(path.join(root, 'pkg/pyproject.toml'));
    expect(config.settings).toMatchObject({ ignore: ['LL103'], strict: false });
  });

  it('lays the override over the file settings', () => {
    write({ 'pyproject.toml': '[tool.losslint]\nignore = ["LL101"]\nstrict = true\n', 'a.py': '' });
    const config = loader().forFile(path.join(root, 'a.py'), { ignore: ['LL103'], strict: false });
    expect(config.settings).toMatchObject({ ignore: ['LL101', 'LL103'], strict: false });
  });

  it('applies per-file-ignores by glob, after any override', () => {
    write({
      'pyproject.toml': [
        '[tool.losslint.per-file-ignores]',
        '"tests/*" = ["LL103"]',
        '"__init__.py" = ["LL1"]',
      ].join('\n'),
      'tests/unit/test_a.py': '',
      'pkg/__init__.py': '',
      'pkg/a.py': '',
    });
    const l = loader();
    expect(l.forFile(path.join(root, 'tests/unit/test_a.py'), { select: ['LL103'] }).settings).toMatchObject({
      select: ['LL103'],
      ignore: ['LL103'],
    });
    expect(l.forFile(path.join(root, 'pkg/__init__.py')).settings.ignore).toEqual(['LL1']);
    expect(l.forFile(path.join(root, 'pkg/a.py')).settings.ignore).toEqual([]);
  });

  it('matches exclude globs relative to the configuration file', () => {
    write({
      'pyproject.toml': '[tool.losslint]\nexclude = ["generated/", "*_pb2.py", "/scripts/old.py"]\n',
      'generated/x.py': '',
      'pkg/model_pb2.py': '',
      'scripts/old.py': '',
      'pkg/scripts/old.py': '',
    });
    const l = loader();
    expect(l.isExcluded(path.join(root, 'generated'), true)).toBe(true);
    expect(l.forFile(path.join(root, 'generated/x.py')).excluded).toBe(true);
    expect(l.forFile(path.join(root, 'pkg/model_pb2.py')).excluded).toBe(true);
    expect(l.forFile(path.join(root, 'scripts/old.py')).excluded).toBe(true);
    expect(l.forFile(path.join(root, 'pkg/scripts/old.py')).excluded).toBe(false);
  });

  it('adds extend-exclude to the defaults, while exclude replaces them', () => {
    write({
      'a/pyproject.toml': '[tool.losslint]\nextend-exclude = ["gen/"]\n',
      'a/gen/x.py': '',
      'b/pyproject.toml': '[tool.losslint]\nexclude = ["old.py"]\nextend-exclude = ["gen/"]\n',
      'b/old.py': '',
      'b/gen/x.py': '',
      'c/x.py': '',
    });
    const l = loader();
    expect(l.forFile(path.join(root, 'a/gen/x.py')).excluded).toBe(true);
    expect(l.usesDefaultExcludes(path.join(root, 'a'))).toBe(true);
    expect(l.forFile(path.join(root, 'b/old.py')).excluded).toBe(true);
    expect(l.forFile(path.join(root, 'b/gen/x.py')).excluded).toBe(true);
    expect(l.usesDefaultExcludes(path.join(root, 'b'))).toBe(false);
    expect(l.usesDefaultExcludes(path.join(root, 'c'))).toBe(true);
  });

  it('reads max-file-size as bytes or a size with a unit, 2 MB by default', () => {
    write({
      'a/pyproject.toml': '[tool.losslint]\nmax-file-size = 1000\n',
      'b/pyproject.toml': '[tool.losslint]\nmax-file-size = "1.5MB"\n',
      'c/pyproject.toml': '[tool.losslint]\nmax-file-size = -3\n',
      'a/x.py': '',
      'b/x.py': '',
      'c/x.py': '',
      'x.py': '',
    });
    const l = loader();
    expect(l.forFile(path.join(root, 'a/x.py')).maxFileSize).toBe(1000);
    expect(l.forFile(path.join(root, 'b/x.py')).maxFileSize).toBe(1_500_000);
    expect(l.forFile(path.join(root, 'x.py')).maxFileSize).toBe(DEFAULT_MAX_FILE_SIZE);
    const broken = l.forFile(path.join(root, 'c/x.py'));
    expect(broken.maxFileSize).toBe(DEFAULT_MAX_FILE_SIZE);
    expect(broken.error?.problems).toEqual([
      'tool.losslint.max-file-size: expected a number of bytes or a size such as "2MB", found the number -3',
    ]);
  });

  it('reports broken TOML once, with its line, and uses the defaults', () => {
    write({ 'pyproject.toml': '[tool.losslint]\nselect = ["LL1"\nstrict = true\n', 'a.py': '', 'b/c.py': '' });
    const errors: ConfigError[] = [];
    const l = loader(errors);
    const a = l.forFile(path.join(root, 'a.py'));
    const c = l.forFile(path.join(root, 'b/c.py'));
    expect(a.settings).toEqual(DEFAULT_SETTINGS);
    expect(c.settings).toEqual(DEFAULT_SETTINGS);
    expect(a.error).toBe(c.error);
    expect(errors).toHaveLength(1);
    expect(errors[0].path).toBe(path.join(root, 'pyproject.toml'));
    expect(errors[0].problems[0]).toMatch(/^invalid TOML at line 3, column \d+: /);
  });

  it('lists every wrong type and unknown key in one error', () => {
    write({
      'pyproject.toml': [
        '[tool.losslint]',
        'select = "LL103"',
        'ignore = [1]',
        'strict = "yes"',
        'exclude = "build"',
        'selct = []',
        'severity = ["LL103"]',
        'per-file-ignores = { "tests/*" = "LL103" }',
      ].join('\n'),
      'a.py': '',
    });
    const config = loader().forFile(path.join(root, 'a.py'));
    expect(config.settings).toEqual(DEFAULT_SETTINGS);
    expect(config.error?.problems).toEqual([
      'tool.losslint: unknown key "selct" (did you mean "select"?)',
      'tool.losslint.select: expected an array of strings, found the string "LL103"',
      'tool.losslint.ignore[0]: expected a string, found the number 1',
      'tool.losslint.severity: expected a table of rule code = level, found an array',
      'tool.losslint.strict: expected true or false, found the string "yes"',
      'tool.losslint.exclude: expected an array of strings, found the string "build"',
      'tool.losslint.per-file-ignores."tests/*": expected an array of strings, found the string "LL103"',
    ]);
  });

  it('rejects unknown codes, prefixes as severity keys and unknown levels', () => {
    write({
      'pyproject.toml': [
        '[tool.losslint]',
        'select = ["LL999", "ALL", "E501"]',
        'ignore = ["LL9"]',
        '[tool.losslint.severity]',
        'LL1 = "error"',
        'LL103 = "fatal"',
        '[tool.losslint.per-file-ignores]',
        '"x.py" = ["LL104"]',
      ].join('\n'),
      'a.py': '',
    });
    const config = loader().forFile(path.join(root, 'a.py'));
    expect(config.settings).toEqual(DEFAULT_SETTINGS);
    expect(config.error?.problems).toEqual([
      'tool.losslint.select: unknown rule code "LL999"',
      'tool.losslint.select: "E501" is not a rule code (expected LL and up to three digits, or ALL)',
      'tool.losslint.ignore: unknown rule code "LL9"',
      'tool.losslint.severity: "LL1" is not a full rule code (expected LL and three digits)',
      'tool.losslint.severity.LL103: expected one of error, warning, info, hint, off, found the string "fatal"',
      'tool.losslint.per-file-ignores."x.py": unknown rule code "LL104"',
    ]);
  });

  it('rejects a [tool.losslint] that is not a table', () => {
    write({ 'pyproject.toml': '[tool]\nlosslint = 3\n', 'a.py': '' });
    expect(loader().forFile(path.join(root, 'a.py')).error?.problems).toEqual([
      'tool.losslint: expected a table, found the number 3',
    ]);
  });

  it('uses an explicit configuration file for every path, with globs relative to it', () => {
    write({
      'conf/custom.toml': '[tool.losslint]\nignore = ["LL201"]\nexclude = ["skip/"]\n',
      'pyproject.toml': '[tool.losslint]\nstrict = true\n',
      'skip/a.py': '',
      'conf/skip/b.py': '',
    });
    const l = loader([], path.join(root, 'conf/custom.toml'));
    const a = l.forFile(path.join(root, 'skip/a.py'));
    expect(a.configPath).toBe(path.join(root, 'conf/custom.toml'));
    expect(a.settings).toMatchObject({ ignore: ['LL201'], strict: false });
    expect(a.excluded).toBe(false);
    expect(l.forFile(path.join(root, 'conf/skip/b.py')).excluded).toBe(true);
  });

  it('uses the defaults when the explicit file has no [tool.losslint]', () => {
    write({ 'other.toml': '[project]\nname = "x"\n', 'a.py': '' });
    const config = loader([], path.join(root, 'other.toml')).forFile(path.join(root, 'a.py'));
    expect(config).toMatchObject({ settings: DEFAULT_SETTINGS, error: undefined, configPath: undefined });
  });

  it('caches per directory until cleared', () => {
    write({ 'pyproject.toml': '[tool.losslint]\nstrict = true\n', 'a.py': '' });
    const l = loader();
    expect(l.forFile(path.join(root, 'a.py')).settings.strict).toBe(true);
    write({ 'pyproject.toml': '[tool.losslint]\nstrict = false\n' });
    expect(l.forFile(path.join(root, 'a.py')).settings.strict).toBe(true);
    l.clear();
    expect(l.forFile(path.join(root, 'a.py')).settings.strict).toBe(false);
  });
});

describe('loadProjectConfig', () => {
  it('reads the nearest configuration through a shared cache', () => {
    write({ 'pyproject.toml': '[tool.losslint]\nstrict = true\nexclude = ["gen/"]\n', 'gen/a.py': '' });
    clearProjectConfigCache();
    const config = loadProjectConfig(path.join(root, 'gen/a.py'), { select: [] });
    expect(config).toMatchObject({ excluded: true, error: undefined, configPath: path.join(root, 'pyproject.toml') });
    expect(config.settings.strict).toBe(true);
  });
});

describe('describeConfigError', () => {
  it('formats one line with the path and every problem', () => {
    const line = describeConfigError({ path: '/p/pyproject.toml', problems: ['a: x', 'b: y'] }, 'pyproject.toml');
    expect(line).toBe('pyproject.toml: [tool.losslint] ignored, using defaults: a: x; b: y');
  });
});
