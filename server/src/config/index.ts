/**
 * Project configuration (`[tool.losslint]` in pyproject.toml) and settings layering, shared by the
 * CLI and the language server. Only this folder reads configuration files.
 */
export {
  ConfigLoader,
  DEFAULT_EXCLUDE,
  DEFAULT_INCLUDE,
  DEFAULT_MAX_FILE_SIZE,
  clearProjectConfigCache,
  describeConfigError,
  loadProjectConfig,
} from './loader';
export { parseFileSize } from './schema';
export type { ConfigError, ConfigLoaderOptions, FileConfig } from './loader';
export { mergeSettings } from './settings';
export type { SettingsOverride } from './settings';
export { normalizeSelector, registeredCodes, selectorProblem } from './codes';
export { GlobSet } from './globs';
