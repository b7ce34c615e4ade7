// Builds dist/: server.cjs, the whole server (our code, the MCP SDK, zod) in one minified classic
// script, and index.js, the small entry that runs it with a V8 code cache (scripts/dist-src/). One file
// starts faster than hundreds (no module resolution), installs with no dependencies (fast `npx`), and
// is what the Claude Desktop bundle ships. Our code stays in ONE bundle: split bundles would each carry
// their own copy of our error classes. HTTP and the command line are dynamic imports inside it, so stdio
// never runs their code; undici, the SDK's optional parts and the viewer page are files beside it, read
// when first needed (scripts/bundle-plugins.mjs).
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';
import {
  englishOnlyZod,
  SDK_DIR,
  SDK_OPTIONAL_ENTRY,
  sdkOptionalApart,
  undiciApart,
} from './bundle-plugins.mjs';

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
  plugins: [englishOnlyZod],
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

/** A file beside the bundle that it requires when first needed (bundle-plugins.mjs): minified CommonJS. */
function lazyFile(source, outfile) {
  return build({
    ...source,
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20.18',
    minify: true,
    keepNames: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
}
const undici = await lazyFile(
  { entryPoints: [createRequire(import.meta.url).resolve('undici')] },
  'dist/undici.cjs',
);
// The SDK's optional parts, required the first time anything calls them.
const sdkOptional = await lazyFile(
  {
    stdin: { contents: SDK_OPTIONAL_ENTRY, resolveDir: SDK_DIR, sourcefile: 'sdk-optional.js', loader: 'js' },
  },
  'dist/sdk-optional.cjs',
);

// tools/list, computed here from the same sources, so a started server never converts zod to JSON Schema.
const listing = await build({
  entryPoints: ['scripts/dist-src/tool-list.ts'],
  outfile: 'tool-list.cjs',
  write: false,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20.18',
  plugins: [englishOnlyZod, sdkOptionalApart, undiciApart],
  logOverride: { 'empty-import-meta': 'silent' },
  logLevel: 'warning',
});
const toolListModule = { exports: {} };
new Function('module', 'exports', 'require', listing.outputFiles[0].text)(
  toolListModule,
  toolListModule.exports,
  createRequire(join(process.cwd(), 'dist', 'tool-list.cjs')),
);
const toolList = toolListModule.exports.tools;

const result = await build({
  entryPoints: ['src/main.ts'],
  plugins: [englishOnlyZod, sdkOptionalApart, undiciApart],
  define: {
    __QWEN_ASR_VERSION__: JSON.stringify(version),
    __QWEN_ASR_TOOL_LIST__: JSON.stringify(toolList),
    // The viewer is a file beside the bundle, read when a host first asks for it: half a megabyte of
    // HTML inside the bundle would be parsed on every start.
    __QWEN_ASR_VIEWER_DIR__: '__dirname',
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
  // An import a stand-in does not provide (bundle-plugins.mjs) would be undefined at run time: an error.
  logOverride: { 'empty-import-meta': 'silent', 'import-is-undefined': 'error' },
  logLevel: 'warning',
});
const entry = readFileSync('scripts/dist-src/index.js', 'utf8');
const withVersion = entry.replace(
  "const PACKAGE_VERSION = 'unbuilt';",
  `const PACKAGE_VERSION = ${JSON.stringify(version)};`,
);
if (withVersion === entry) throw new Error('scripts/dist-src/index.js: PACKAGE_VERSION not found');
writeFileSync('dist/index.js', withVersion);
writeFileSync('dist/viewer.html', viewerHtml);

// Every bundled package's licence travels with the bundle.
const packages = new Set();
for (const input of [
  ...Object.keys(result.metafile.inputs),
  ...Object.keys(undici.metafile.inputs),
  ...Object.keys(sdkOptional.metafile.inputs),
  ...Object.keys(viewer.metafile.inputs),
]) {
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
  `qwen-asr-mcp bundles the following packages into dist/ (server.cjs, undici.cjs, sdk-optional.cjs and the transcript viewer).\n\n${notices.join(`\n${'-'.repeat(72)}\n\n`)}`,
);
// npm sets the executable bit on install; a clone needs it now.
chmodSync('dist/index.js', 0o755);
