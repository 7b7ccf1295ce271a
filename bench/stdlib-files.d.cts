/** Types for bench/stdlib-files.cjs. */
/** The stdlib folder of every python3 on PATH, deduplicated by real path. */
export declare function stdlibDirs(): string[];
/** Every .py file under `dir`, sorted, without site-packages / dist-packages / __pycache__. */
export declare function pyFiles(dir: string): string[];
/** The texts of the .py files under `dirs` that `keep` accepts (valid UTF-8, at most `maxBytes`), up to `limit`, and how many files were looked at. */
export declare function keptTexts(dirs: string[], keep: (text: string) => boolean, options?: { maxBytes?: number; limit?: number }): { texts: string[]; seen: number };
