// Shared by the study-set benches (study-recall.mjs, study-coverage.mjs): their command-line options
// and the labelled files of bench/study/labels-<set>.json whose code is under the root.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** `--name value` options of this process's command line, and flags. */
export function cliOptions(argv = process.argv.slice(2)) {
  return {
    opt: (name, def) => {
      const i = argv.indexOf(name);
      return i >= 0 ? argv[i + 1] : def;
    },
    flag: (name) => argv.includes(name),
  };
}

/**
 * The labels of `sets` (all of bench/study when none is named), each with its set's name, those of
 * `split` ('all' for every split) whose file exists under `root` (`chosen`) and those whose file is
 * missing there.
 */
export function studyLabels({ root, split, sets }) {
  const files = fs.readdirSync(path.join(here, 'study')).filter((f) => /^labels-.*\.json$/.test(f));
  const labels = files
    .filter((f) => !sets || sets.includes(f.replace(/^labels-|\.json$/g, '')))
    .flatMap((f) => JSON.parse(fs.readFileSync(path.join(here, 'study', f), 'utf8')).map((l) => ({ ...l, set: f.replace(/^labels-|\.json$/g, '') })));
  const inSplit = labels.filter((l) => split === 'all' || l.split === split);
  return { labels, chosen: inSplit.filter((l) => fs.existsSync(path.join(root, l.file))), missing: inSplit.filter((l) => !fs.existsSync(path.join(root, l.file))) };
}
