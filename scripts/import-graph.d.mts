// Types for scripts/import-graph.mjs, which the layer tests import.
export interface ImportGraph {
  /** Source files relative to the source folder, `/`-separated. */
  files: string[];
  /** From each file to the files it imports (type-only, re-exports and dynamic imports included). */
  imports: Map<string, Set<string>>;
  /** Relative imports that name no source file, one line each. */
  unresolved: string[];
}

export declare function importGraph(srcDir: string): ImportGraph;
export declare function unitOf(file: string): string;
export declare function unitGraph(imports: Map<string, Set<string>>): Map<string, Set<string>>;
export declare function circles(graph: Map<string, Set<string>>): string[];
export declare function layerViolations(
  imports: Map<string, Set<string>>,
  layers: ReadonlyArray<readonly string[]>,
): { unplaced: string[]; upward: string[] };
