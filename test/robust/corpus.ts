/**
 * The sweep's corpus: every .py file of the standard library of the machine's `python3`
 * (site-packages and dist-packages left out: they are not CPython's Lib), read as bytes and decoded
 * as the CLI decodes them (server/src/cli/source.ts); files the CLI would refuse are decoded as
 * Latin-1 so that the analyzer still sees them.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeSource } from '../../server/src/cli/source';

export interface CorpusFile {
  path: string;
  text: string;
  /** How the bytes became text: 'cli' when decodeSource accepted them, else why not. */
  decoded: string;
}

export interface Corpus {
  python: string;
  stdlib: string;
  files: CorpusFile[];
}

/** The stdlib folder: $LOSSLINT_SWEEP_STDLIB, else that of the first python3 on PATH, else /usr/bin/python3's. */
export function findStdlib(): { python: string; stdlib: string } | { skip: string } {
  const forced = process.env.LOSSLINT_SWEEP_STDLIB;
  if (forced) return { python: 'LOSSLINT_SWEEP_STDLIB', stdlib: forced };
  const probe = 'import sys, sysconfig; print(sys.version.split()[0]); print(sysconfig.get_paths()["stdlib"])';
  for (const python of ['python3', '/usr/bin/python3', 'python']) {
    try {
      const [version, stdlib] = execFileSync(python, ['-c', probe], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'ignore'] })
        .trim()
        .split('\n');
      if (stdlib && fs.existsSync(stdlib)) return { python: `${python} ${version}`, stdlib };
    } catch {
      // Try the next interpreter.
    }
  }
  return { skip: 'no python3 with a standard library on this machine (set LOSSLINT_SWEEP_STDLIB to a folder of .py files)' };
}

export function loadCorpus(python: string, stdlib: string): Corpus {
  const paths: string[] = [];
  const walk = (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'site-packages' && e.name !== 'dist-packages' && e.name !== '__pycache__') walk(p);
      } else if (e.isFile() && e.name.endsWith('.py')) paths.push(p);
    }
  };
  walk(stdlib);
  const files = paths.map((p) => {
    const bytes = fs.readFileSync(p);
    const source = decodeSource(bytes);
    return source.kind === 'text'
      ? { path: p, text: source.text, decoded: 'cli' }
      : { path: p, text: bytes.toString('latin1'), decoded: source.reason };
  });
  return { python, stdlib, files };
}
