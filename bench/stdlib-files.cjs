// File discovery shared by the benches and test/rules/stdlib.test.ts: the CPython Lib folders of this
// machine, the .py files under them, and the texts of those a filter keeps.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, readFileSync, readdirSync, realpathSync, statSync } = require('node:fs');
const path = require('node:path');

/** The stdlib folder of every python3 on PATH, deduplicated by real path. */
function stdlibDirs() {
  let pythons = [];
  try {
    pythons = execFileSync('which', ['-a', 'python3'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    pythons = ['python3'];
  }
  const dirs = new Set();
  for (const py of pythons) {
    try {
      const dir = execFileSync(py, ['-c', "import sysconfig;print(sysconfig.get_paths()['stdlib'])"], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      if (dir && existsSync(dir)) dirs.add(realpathSync(dir));
    } catch {
      // An interpreter that does not run (a broken shim) is skipped.
    }
  }
  return [...dirs].sort();
}

/** Every .py file under `dir`, sorted, without site-packages / dist-packages / __pycache__. */
function pyFiles(dir) {
  const out = [];
  const walk = (d) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        if (e.name === 'site-packages' || e.name === 'dist-packages' || e.name === '__pycache__') continue;
        walk(p);
      } else if (e.isFile() && e.name.endsWith('.py')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/**
 * The texts of the .py files under `dirs` that `keep` accepts (valid UTF-8, at most `maxBytes`), up to
 * `limit` of them, and how many files were looked at.
 */
function keptTexts(dirs, keep, { maxBytes = Infinity, limit = Infinity } = {}) {
  const texts = [];
  let seen = 0;
  for (const dir of dirs) {
    for (const file of pyFiles(dir)) {
      if (texts.length >= limit) return { texts, seen };
      seen++;
      if (statSync(file).size > maxBytes) continue;
      let text;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(file));
      } catch {
        continue;
      }
      if (keep(text)) texts.push(text);
    }
  }
  return { texts, seen };
}

module.exports = { stdlibDirs, pyFiles, keptTexts };
