// The part of js-yaml (a devDependency without bundled types) that the tests use.
declare module 'js-yaml' {
  /** Parses one YAML document (YAML 1.2 core schema); throws a YAMLException on invalid input. */
  export function load(text: string, options?: { filename?: string; json?: boolean }): unknown;
}
