/** Types for bench/stdlib-files.cjs. */
/** The stdlib folder of every python3 on PATH, deduplicated by real path. */
export declare function stdlibDirs(): string[];
/** Every .py file under `dir`, sorted, without site-packages / dist-packages / __pycache__. */
export declare function pyFiles(dir: string): string[];
