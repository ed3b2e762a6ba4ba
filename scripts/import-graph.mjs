// The import graph of a package's sources, and the two things the layer tests check on it:
// import circles, and imports that run from a lower layer up to a higher one.
// Imports are read with the TypeScript scanner (ts.preProcessFile), so `import type`, `export … from`
// and dynamic `import()` all count, and nothing in a comment or a string does. A relative import
// that names no source file is reported, so a path the reader misunderstands cannot hide an arrow.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const SOURCE = /\.(ts|mts|cts)$/;

function sourceFiles(dir) {
  const found = [];
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...sourceFiles(path));
    else if (SOURCE.test(entry)) found.push(path);
  }
  return found;
}

/** NodeNext specifiers name the emitted file (`./x.js`); the source is `x.ts` (or `x.d.ts` for a declaration). */
function candidates(path) {
  const ext = extname(path);
  const stem = ext === '' ? path : path.slice(0, -ext.length);
  const sources = { '.js': ['.ts', '.d.ts'], '.mjs': ['.mts', '.d.mts'], '.cjs': ['.cts', '.d.cts'] }[ext] ?? [];
  return [path, ...sources.map((source) => stem + source), join(path, 'index.ts')];
}

/**
 * `{ files, imports, unresolved }` for the sources under `srcDir`: file paths relative to it with
 * `/` separators, `imports` from each file to the files it imports. Imports of packages and of
 * files outside `srcDir` (package.json) are not arrows of this graph.
 */
export function importGraph(srcDir) {
  const root = resolve(srcDir);
  const name = (path) => relative(root, path).split(sep).join('/');
  const files = sourceFiles(root);
  const known = new Set(files);
  const imports = new Map();
  const unresolved = [];
  for (const file of files) {
    const targets = new Set();
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith('.')) continue;
      const path = resolve(dirname(file), fileName);
      if (relative(root, path).startsWith('..')) continue;
      const target = candidates(path).find((candidate) => known.has(candidate));
      if (target) targets.add(name(target));
      else unresolved.push(`${name(file)}: '${fileName}' names no source file`);
    }
    imports.set(name(file), targets);
  }
  return { files: files.map(name), imports, unresolved };
}

/** The folder under src a file belongs to (`tools/`), or the file itself when it stands at the top (`server.ts`). */
export function unitOf(file) {
  const slash = file.indexOf('/');
  return slash === -1 ? file : file.slice(0, slash + 1);
}

/** The graph between units: one arrow from unit A to unit B when any file of A imports one of B. */
export function unitGraph(imports) {
  const units = new Map();
  for (const [file, targets] of imports) {
    const from = unitOf(file);
    if (!units.has(from)) units.set(from, new Set());
    for (const target of targets) {
      const to = unitOf(target);
      if (to !== from) units.get(from).add(to);
    }
  }
  return units;
}

/**
 * Every circle of the graph, one line each: a shortest loop through the circle's first node
 * (`a.ts -> b.ts -> a.ts`), followed by the circle's other members when it has more than the loop
 * shows. Found as the strongly connected components of more than one node, or a node importing itself.
 */
export function circles(graph) {
  const index = new Map();
  const low = new Map();
  const onStack = new Set();
  const stack = [];
  const components = [];
  let next = 0;
  const visit = (node) => {
    index.set(node, next);
    low.set(node, next);
    next += 1;
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node), low.get(target)));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node), index.get(target)));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component = [];
      let member;
      do {
        member = stack.pop();
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? new Set()).has(node)) components.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return components.map((component) => {
    const loop = shortestLoop(graph, component[0], new Set(component));
    const rest = component.filter((member) => !loop.includes(member));
    return loop.join(' -> ') + (rest.length > 0 ? ` (the circle also holds ${rest.join(', ')})` : '');
  });
}

function shortestLoop(graph, start, members) {
  const previous = new Map();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift();
    for (const target of [...(graph.get(node) ?? [])].sort()) {
      if (!members.has(target)) continue;
      if (target === start) {
        const path = [start];
        for (let at = node; at !== start; at = previous.get(at)) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!previous.has(target)) {
        previous.set(target, node);
        queue.push(target);
      }
    }
  }
  return [start];
}

/**
 * Checks the graph against `layers`, top first: each layer a list of units (`tools/`, `server.ts`).
 * A file may import files of its own layer and of any layer below. Returns `{ unplaced, upward }`:
 * units in no layer (or in two), and one line per import that runs up, naming both files.
 */
export function layerViolations(imports, layers) {
  const layerOf = new Map();
  const unplaced = [];
  layers.forEach((units, depth) => {
    for (const unit of units) {
      if (layerOf.has(unit)) unplaced.push(`${unit} is in two layers`);
      layerOf.set(unit, depth);
    }
  });
  const present = new Set([...imports.keys()].map(unitOf));
  for (const unit of [...present].sort()) if (!layerOf.has(unit)) unplaced.push(`${unit} is in no layer`);
  for (const unit of layerOf.keys()) if (!present.has(unit)) unplaced.push(`${unit} is in a layer but holds no source file`);
  const upward = [];
  for (const [file, targets] of imports) {
    const from = layerOf.get(unitOf(file));
    for (const target of targets) {
      const to = layerOf.get(unitOf(target));
      if (from !== undefined && to !== undefined && to < from) {
        upward.push(`${file} (layer ${from + 1}: ${layers[from].join(' ')}) imports ${target} (layer ${to + 1}: ${layers[to].join(' ')})`);
      }
    }
  }
  return { unplaced, upward: upward.sort() };
}
