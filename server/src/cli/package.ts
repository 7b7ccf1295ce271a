/**
 * Facts about the installed LossLint package: its root folder, its version and home page, and where
 * the rule pages live inside it. The root is found by walking up from this module, so the answer
 * is the same from the bundled dist/cli.js and from the TypeScript sources under test.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { docsRelativePath } from '../analysis/registry';

export interface PackageInfo {
  root: string;
  version: string;
  /** The project's home page, for SARIF's `informationUri`. */
  homepage: string;
}

let cached: PackageInfo | undefined;

export function packageInfo(): PackageInfo {
  if (!cached) cached = readPackageInfo(__dirname);
  return cached;
}

/** Absolute path of a rule's documentation page inside the package. */
export function docsPath(code: string): string {
  return path.join(packageInfo().root, docsRelativePath(code));
}

/** `file:` URI of a rule's documentation page inside the package. */
export function docsUri(code: string): string {
  return pathToFileURL(docsPath(code)).href;
}

interface Manifest {
  name?: string;
  version?: string;
  homepage?: string;
  repository?: string | { url?: string };
}

function readPackageInfo(start: string): PackageInfo {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const manifest = readManifest(path.join(dir, 'package.json'));
    if (manifest?.name === 'losslint') {
      return { root: dir, version: manifest.version ?? '0.0.0', homepage: homepage(manifest) };
    }
    if (path.dirname(dir) === dir) throw new Error(`cannot find the losslint package.json above ${start}`);
  }
}

function readManifest(file: string): Manifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/** The manifest's `homepage`, else its repository URL without `git+` and `.git`. */
function homepage(manifest: Manifest): string {
  if (manifest.homepage) return manifest.homepage;
  const repository = typeof manifest.repository === 'string' ? manifest.repository : manifest.repository?.url;
  return (repository ?? '').replace(/^git\+/, '').replace(/\.git$/, '');
}
