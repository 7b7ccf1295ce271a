// File discovery shared by bench/stdlib.mjs and test/rules/stdlib.test.ts: the CPython Lib folders of
// this machine and the .py files under them.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, realpathSync } = require('node:fs');
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

module.exports = { stdlibDirs, pyFiles };
