// Shared by the bench scripts that read a tree of Python files and their own `--name value` options.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Every `.py` file under `dir`, sorted. */
export function pythonFiles(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) pythonFiles(p, out);
    else if (e.name.endsWith('.py')) out.push(p);
  }
  return out.sort();
}

/** The value after `name` on the command line, else `dflt`. */
export function option(name, dflt, args = process.argv.slice(2)) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
}
