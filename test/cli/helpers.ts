/**
 * Helpers for the CLI tests: they run the built CLI (dist/cli.js, built by `npm test`) as a
 * subprocess in temporary directories, as a user would.
 */
import Ajv from 'ajv-draft-04';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '../..');

/** The CLI under test; LOSSLINT_CLI may point at another build of main.ts. */
export const CLI = path.resolve(REPO, process.env.LOSSLINT_CLI ?? 'dist/cli.js');

/** The LL103 sample: one finding on the `(1 - pt)` of line 8, columns 13 to 21 (1-based). */
export const LL103_SAMPLE = `import torch
import torch.nn.functional as F


def focal_loss(logits, targets, gamma=0.5):
    ce = F.cross_entropy(logits, targets, reduction="none")
    pt = torch.exp(-ce)
    return ((1 - pt) ** gamma * ce).mean()
`;

/** The same loss with the base clamped: no finding. */
export const CLEAN_SAMPLE = LL103_SAMPLE.replace('((1 - pt) ** gamma', '((1 - pt).clamp(min=1e-6) ** gamma');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI. Its persistent cache is off (LOSSLINT_NO_CACHE) unless `env` turns it on
 * (`LOSSLINT_NO_CACHE: ''`, test/cli/cache.test.ts): a run that hits it never reaches the worker
 * pool or the parser, which the other tests are about, and fixture folders stay as they are.
 */
export function runCli(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, LOSSLINT_NO_CACHE: '1', ...env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A fresh temporary directory (real path, so printed paths compare equal). */
export function tempDir(prefix = 'losslint-cli-'): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

/** Writes files under `root`, creating folders as needed; Buffers are written as bytes. */
export function writeTree(root: string, files: Record<string, string | Buffer>): void {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(root, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
}

/** Non-empty lines. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.length > 0);
}

const SCHEMA = path.join(REPO, 'node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');

let compiled: ReturnType<Ajv['compile']> | undefined;

/** A validator for the SARIF 2.1.0 JSON schema shipped by @microsoft/jest-sarif (offline), compiled once. */
export function sarifValidator() {
  if (compiled) return compiled;
  // unicodeRegExp: false, because the schema's pattern for `language` is not a valid `u` regular expression.
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  ajv.addFormat('uri', (s: string) => URL.canParse(s));
  ajv.addFormat('uri-reference', (s: string) => URL.canParse(s, 'file:///base/'));
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)) && /^\d{4}-\d\d-\d\dT/.test(s));
  compiled = ajv.compile(JSON.parse(fs.readFileSync(SCHEMA, 'utf8')));
  return compiled;
}
