// Builds dist/: server.cjs, the whole server (our code, the MCP SDK, zod, undici) in one minified
// classic script, and index.js, the small entry that runs it with a V8 code cache (scripts/dist-src/).
// One file starts faster than hundreds (no module resolution), installs with no dependencies (fast
// `npx`), and is what the Claude Desktop bundle ships. It stays ONE bundle: split bundles would each
// carry their own copy of our error classes. HTTP, the command line and undici are loaded lazily inside
// it (dynamic imports), so stdio never runs their code.
import {
  chmodSync,
  copyFileSync,
  existsSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

rmSync('dist', { recursive: true, force: true });
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

// The transcript viewer (src/ui/viewer): its script and style inlined into one HTML file, which the
// server serves as ui://qwen-asr/viewer.html (src/mcp/resources/viewer.ts). No network access of its own.
const VIEWER_MAX_BYTES = 1024 * 1024;
const viewer = await build({
  entryPoints: ['src/ui/viewer/main.ts'],
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  minify: true,
  write: false,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});
const viewerJs = viewer.outputFiles[0].text.replace(/<\/(script)/gi, '<\\/$1');
const viewerCss = readFileSync('src/ui/viewer/viewer.css', 'utf8');
const viewerHtml = readFileSync('src/ui/viewer/index.html', 'utf8')
  .replace('/*STYLE*/', () => viewerCss)
  .replace('/*SCRIPT*/', () => viewerJs);
if (Buffer.byteLength(viewerHtml) > VIEWER_MAX_BYTES) {
  throw new Error(`the viewer is ${Buffer.byteLength(viewerHtml)} bytes, over ${VIEWER_MAX_BYTES}`);
}

const result = await build({
  entryPoints: ['src/main.ts'],
  define: {
    __QWEN_ASR_VERSION__: JSON.stringify(version),
    __QWEN_ASR_VIEWER__: JSON.stringify(viewerHtml),
  },
  outfile: 'dist/server.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20.18',
  minify: true,
  // Error classes (and their `name`, which messages and tests read) keep their names.
  keepNames: true,
  sourcemap: 'linked',
  legalComments: 'none',
  metafile: true,
  // version.ts reads package.json through import.meta only when run from source; the bundle has VERSION.
  logOverride: { 'empty-import-meta': 'silent' },
  logLevel: 'warning',
});
copyFileSync('scripts/dist-src/index.js', 'dist/index.js');

// Every bundled package's licence travels with the bundle.
const packages = new Set();
for (const input of [...Object.keys(result.metafile.inputs), ...Object.keys(viewer.metafile.inputs)]) {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (m) packages.add(m[1]);
}
const notices = [...packages].sort().map((name) => {
  const dir = join('node_modules', name);
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const file = readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  const text =
    file && existsSync(join(dir, file))
      ? readFileSync(join(dir, file), 'utf8').trim()
      : `License: ${pkg.license}`;
  return `${name}@${pkg.version} (${pkg.license})\n\n${text}\n`;
});
writeFileSync(
  'dist/THIRD_PARTY_LICENSES.txt',
  `qwen-asr-mcp bundles the following packages into dist/server.cjs (and its transcript viewer).\n\n${notices.join(`\n${'-'.repeat(72)}\n\n`)}`,
);
// npm sets the executable bit on install; a clone needs it now.
chmodSync('dist/index.js', 0o755);
