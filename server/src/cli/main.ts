/**
 * The `losslint` command line (bundled to dist/cli.js):
 *
 *   losslint check [paths...]   lint Python files (default: the current directory)
 *   losslint rule CODE          print a rule's documentation page
 *   losslint rules              list the rules (also `losslint rule --all`)
 *   losslint clean              remove the cache folder `losslint check` uses here (as `ruff clean`)
 *
 * Exit codes, as ruff: 0 when no problems were found (or `--exit-zero`), 1 when some were, 2 on
 * a usage error or when something could not be checked (a missing path, an unreadable file,
 * a broken configuration); each such problem is one line on stderr and the rest is still checked.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { registeredCodes, type SettingsOverride, selectorProblem, normalizeSelector } from '../config';
import { allRules } from '../analysis/registry';
import { setIrCacheSize } from '../core/ir';
import { cacheFolder, runCheck } from './check';
import { removeCacheFolder } from '../project/cache';
import { tuneJitForBatch } from './jit';
import { defaultJobs, MAX_AUTO_JOBS } from './pool';
import { createFormatter, FORMATS, type FormatName } from './formats';
import { NUMERIC_BACKENDS, type NumericBackend } from './numeric';
import { Output } from './output';
import { packageInfo } from './package';
import { type Notice, totals } from './report';
import { rulePage, rulesJson, rulesTable } from './rules';
// numeric: the numeric checks' front end registers its runner when imported here (see ./numeric.ts).
import { registerProbeCommand } from './probe';

/** Exit codes. */
const EXIT_CLEAN = 0;
const EXIT_FINDINGS = 1;
const EXIT_ERROR = 2;

interface CheckFlags {
  select?: string[];
  ignore?: string[];
  strict?: boolean;
  fix?: boolean;
  exitZero?: boolean;
  format: FormatName;
  outputFile?: string;
  config?: string;
  forceExclude?: boolean;
  numeric?: boolean;
  backend: NumericBackend;
  jobs: number | 'auto';
  project: boolean;
  cache: boolean;
  cacheDir?: string;
}

/** Parses `--jobs N` (N >= 1) or `--jobs auto`. */
function jobCount(value: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('expected a positive whole number or "auto"');
  return Number(value);
}

/** Parses `--select LL101,LL103 --select LL2` into one validated list. */
function codeList(value: string, previous: string[] | undefined): string[] {
  const codes = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const code of codes) {
    const problem = selectorProblem(code, registeredCodes());
    if (problem) throw new InvalidArgumentError(problem);
  }
  return [...(previous ?? []), ...codes.map(normalizeSelector)];
}

function printNotice(notice: Notice): void {
  process.stderr.write(notice.level === 'info' ? `${notice.message}\n` : `${notice.level}: ${notice.message}\n`);
}

async function check(paths: string[], flags: CheckFlags): Promise<number> {
  const cwd = process.cwd();
  const override: SettingsOverride = {};
  if (flags.select) override.select = flags.select;
  if (flags.ignore) override.ignore = flags.ignore;
  if (flags.strict !== undefined) override.strict = flags.strict;

  let output: Output;
  try {
    output = flags.outputFile ? await Output.file(flags.outputFile) : Output.stdout();
  } catch (error) {
    process.stderr.write(`error: cannot write ${flags.outputFile}: ${(error as Error).message}\n`);
    return EXIT_ERROR;
  }
  const formatter = createFormatter(flags.format, cwd);
  const report = await runCheck(
    {
      paths: paths.length > 0 ? paths : ['.'],
      cwd,
      override,
      fix: flags.fix ?? false,
      configFile: flags.config,
      forceExclude: flags.forceExclude,
      numeric: { enabled: flags.numeric ?? false, backend: flags.backend },
      jobs: flags.jobs === 'auto' ? defaultJobs() : flags.jobs,
      fileLocations: flags.format === 'sarif',
      project: flags.project,
      cache: flags.cache === false ? false : (flags.cacheDir ?? true),
    },
    { file: (result) => output.write(formatter.file(result)), notice: printNotice, stopped: () => output.isClosed },
  );
  await output.write(formatter.finish(report));
  try {
    await output.close();
  } catch (error) {
    process.stderr.write(`error: cannot write the report: ${(error as Error).message}\n`);
    return EXIT_ERROR;
  }
  const t = totals(report);
  if (t.errors > 0) return EXIT_ERROR;
  return t.remaining > 0 && !flags.exitZero ? EXIT_FINDINGS : EXIT_CLEAN;
}

function rule(code: string | undefined, flags: { all?: boolean; format: 'text' | 'json' }): number {
  if (flags.all || code === undefined) {
    if (!flags.all) {
      process.stderr.write('error: name a rule code (losslint rule LL103) or use --all\n');
      return EXIT_ERROR;
    }
    process.stdout.write(flags.format === 'json' ? rulesJson() : rulesTable());
    return EXIT_CLEAN;
  }
  const page = rulePage(code);
  if (!page) {
    const known = allRules().map((r) => r.meta.code);
    const list = known.length > 0 ? ` (known: ${known.join(', ')})` : ' (no rules are registered)';
    process.stderr.write(`error: unknown rule code "${code}"${list}\n`);
    return EXIT_ERROR;
  }
  process.stdout.write(page);
  return EXIT_CLEAN;
}

export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('losslint')
    .description('Lints Python deep-learning loss code for math bugs (focal loss and friends).')
    .version(packageInfo().version, '-V, --version')
    .exitOverride();

  program
    .command('check')
    .description('check Python files and directories (default: the current directory)')
    .argument('[paths...]', 'files or directories to check')
    .option('--select <codes>', 'comma-separated rule codes or prefixes to enable, replacing the selection', codeList)
    .option('--ignore <codes>', 'comma-separated rule codes or prefixes to disable', codeList)
    .option('--strict', 'also report findings whose evidence is incomplete')
    .option('--no-strict', 'only report findings with complete evidence (the default)')
    .option('--fix', 'apply safe fixes, then report what is left')
    .option('--exit-zero', 'exit with 0 even when problems are found')
    .addOption(new Option('--format <format>', 'output format').choices(FORMATS).default('text'))
    .option('-o, --output-file <file>', 'write the report to a file instead of stdout')
    .option('--config <file>', 'use this TOML file ([tool.losslint]) for every path')
    .option('--force-exclude', 'apply exclude patterns to files named on the command line too')
    .option('--numeric', 'confirm findings with numeric probes')
    .option('--no-project', 'check each file alone: no values from other files, argparse defaults or config files')
    .option('--no-cache', 'neither read nor write the cache of earlier results (.losslint_cache)')
    .option('--cache-dir <dir>', 'keep the cache of earlier results in this folder (default: .losslint_cache at the project root)')
    .addOption(new Option('--backend <backend>', 'where numeric probes run').choices(NUMERIC_BACKENDS).default('auto'))
    .addOption(
      new Option('-j, --jobs <n>', 'threads that parse and analyse files (the main thread and N - 1 workers); 1 checks in one thread (--fix always does)')
        .argParser(jobCount)
        .default('auto', `"auto": one per core, at most ${MAX_AUTO_JOBS}`),
    )
    .addHelpText(
      'after',
      [
        '',
        'Configuration: [tool.losslint] in the nearest pyproject.toml above each file (select, ignore,',
        'severity, strict, exclude, extend-exclude, per-file-ignores, max-file-size, cache-dir); flags win.',
        '',
        'Cache: results are kept per file in .losslint_cache/ at the project root (the folder of the',
        'pyproject.toml that covers the current directory, else the current directory), keyed by the',
        "file's content, the settings, the values other files pass it and the LossLint build, so a",
        'second run over an unchanged tree parses nothing. Elsewhere: --cache-dir, LOSSLINT_CACHE_DIR or',
        'cache-dir; off: --no-cache or LOSSLINT_NO_CACHE=1. --fix never uses it. Each run keeps what it used',
        'and removes what no recent run uses (other files, older contents, older LossLint builds);',
        '`losslint clean` removes the folder.',
        '',
        'Exit status: 0 no problems (or --exit-zero), 1 problems found, 2 usage error or a path,',
        'file or configuration that could not be read.',
      ].join('\n'),
    )
    .action(async (paths: string[], flags: CheckFlags) => setExitCode(await check(paths, flags)));

  program
    .command('rule')
    .description("print a rule's documentation page, or list every rule with --all")
    .argument('[code]', 'a rule code such as LL103')
    .option('--all', 'list every rule')
    .addOption(new Option('--format <format>', 'output format of the list').choices(['text', 'json']).default('text'))
    .action((code: string | undefined, flags: { all?: boolean; format: 'text' | 'json' }) => setExitCode(rule(code, flags)));

  program
    .command('rules')
    .description('list every rule: code, name, whether it is fixable, summary')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action((flags: { format: 'text' | 'json' }) => setExitCode(rule(undefined, { all: true, format: flags.format })));

  program
    .command('clean')
    .description('remove the cache folder `losslint check` uses from the current directory (.losslint_cache at the project root)')
    .option('--config <file>', 'the TOML file ([tool.losslint]) whose cache-dir to read')
    .option('--cache-dir <dir>', 'remove this cache folder instead')
    .action((flags: { config?: string; cacheDir?: string }) => {
      const dir = cacheFolder({ cache: flags.cacheDir ?? true, cwd: process.cwd(), configFile: flags.config, fix: false }, true);
      // Only a folder LossLint made (its CACHEDIR.TAG), never one --cache-dir names by mistake.
      if (dir && removeCacheFolder(dir)) process.stdout.write(`Removing cache at: ${dir}\n`);
      setExitCode(EXIT_CLEAN);
    });

  registerProbeCommand(program, setExitCode); // numeric: `losslint probe FILE::NAME [--repro]`, `losslint probe --coverage PATH...`

  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  // A batch run: V8 optimizes once type feedback has settled (./jit.ts).
  tuneJitForBatch();
  // Each file is analysed once: the IR's unit cache (for editors) would only hold memory.
  setIrCacheSize(0);
  let exitCode = EXIT_CLEAN;
  const program = buildProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_CLEAN : EXIT_ERROR;
    const e = error as Error;
    process.stderr.write(`error: internal error: ${e?.message ?? String(error)}\n`);
    if (process.env.LOSSLINT_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
    return EXIT_ERROR;
  }
  return exitCode;
}

// Not process.exit: stdout may still be flushing into a pipe.
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
