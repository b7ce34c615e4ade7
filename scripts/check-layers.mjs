// The import rule of src/ (docs/architecture.md): a module imports its own folder and folders of a
// LOWER layer only, never upwards or sideways; src/ui (the viewer) imports and is imported by nothing. Also: the fake DashScope (dev/) imports nothing from
// src/, and src/ imports nothing from test/ or dev/. Prints every violation and exits 1 if any.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
export const LAYERS = {
  util: 0,
  domain: 1,
  config: 2,
  audio: 3,
  http: 3,
  format: 3,
  bucket: 3,
  store: 4,
  dashscope: 5,
  transcription: 6,
  mcp: 7,
  cli: 7,
  'main.ts': 8,
  // The transcript viewer (a browser page): a leaf that imports nothing from the rest of src/, and that
  // nothing imports; the build bundles it into the server as one HTML string (scripts/build.mjs).
  ui: -1,
};

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? walk(p) : /\.(ts|mjs|js)$/.test(e.name) ? [p] : [];
  });
}

const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  const out = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    const line = text.slice(0, m.index).split('\n').length;
    out.push({ spec, line });
  }
  return out;
}

const problems = [];
const rel = (p) => relative(root, p).split('\\').join('/');
const layerOf = (srcRel) => srcRel.split('/')[1]; // src/<layer>/...

for (const file of walk(join(root, 'src'))) {
  const from = rel(file);
  const fromLayer = layerOf(from);
  if (!(fromLayer in LAYERS)) {
    problems.push(
      `${from}: folder src/${fromLayer} has no layer; add it to scripts/check-layers.mjs and docs/architecture.md`,
    );
    continue;
  }
  for (const { spec, line } of importsOf(file)) {
    if (!spec.startsWith('.')) continue;
    const target = rel(resolve(dirname(file), spec));
    if (!target.startsWith('src/')) {
      problems.push(`${from}:${line} imports ${target}: src/ must not import from outside src/`);
      continue;
    }
    const toLayer = layerOf(target);
    if (toLayer === fromLayer) continue;
    if (fromLayer === 'ui' || toLayer === 'ui') {
      problems.push(
        `${from}:${line} imports ${target}: src/ui is a leaf (it imports nothing from src/, and only the build uses it)`,
      );
      continue;
    }
    if (!(LAYERS[toLayer] < LAYERS[fromLayer])) {
      problems.push(
        `${from}:${line} imports ${target}: ${fromLayer} (layer ${LAYERS[fromLayer]}) may only import lower layers, not ${toLayer} (layer ${LAYERS[toLayer]})`,
      );
    }
  }
}

for (const file of walk(join(root, 'dev'))) {
  for (const { spec, line } of importsOf(file)) {
    if (!spec.startsWith('.')) continue;
    const target = rel(resolve(dirname(file), spec));
    if (!target.startsWith(posix.dirname(rel(file)).split('/').slice(0, 2).join('/'))) {
      problems.push(
        `${rel(file)}:${line} imports ${target}: a dev tool stands alone (nothing from src/ or test/)`,
      );
    }
  }
}

if (problems.length > 0) {
  process.stderr.write(
    `Import rule broken (see docs/architecture.md):\n${problems.map((p) => `  ${p}`).join('\n')}\n`,
  );
  process.exit(1);
}
process.stdout.write(`imports: ${Object.keys(LAYERS).length} layers, no upward or sideways import\n`);
