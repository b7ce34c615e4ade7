// Builds qwen-asr-mcp-<version>.mcpb, the one-click Claude Desktop bundle: manifest.json, the bundled
// server (dist/: the entry, the bundle with no dependencies, its source map) and its licences, validated and packed with the official
// MCPB CLI from test/external (install it with: npm ci --prefix test/external).
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const mcpb = join(root, 'test', 'external', 'node_modules', '.bin', 'mcpb');
if (!existsSync(mcpb)) {
  process.stderr.write('The MCPB CLI is not installed: run `npm ci --prefix test/external` first.\n');
  process.exit(2);
}
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const manifest = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8'));
if (manifest.version !== pkg.version) {
  process.stderr.write(
    `manifest.json version ${manifest.version} differs from package.json ${pkg.version}.\n`,
  );
  process.exit(1);
}
// The tests build dist/ once beforehand and run this while other tests use it: no rebuild then.
if (!(process.env.QWEN_ASR_SKIP_BUILD && existsSync(join(root, 'dist', 'index.js')))) {
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
}

const out = process.argv[2] ?? join(root, 'build', `qwen-asr-mcp-${pkg.version}.mcpb`);
const stage = `${out}.staging`;
rmSync(stage, { recursive: true, force: true });
mkdirSync(join(stage, 'server'), { recursive: true });
copyFileSync(join(root, 'manifest.json'), join(stage, 'manifest.json'));
// Every file the build makes (the entry, the bundle, its source map, the licences).
for (const name of readdirSync(join(root, 'dist'))) {
  copyFileSync(join(root, 'dist', name), join(stage, 'server', name));
}
copyFileSync(join(root, 'LICENSE'), join(stage, 'LICENSE'));
copyFileSync(join(root, 'README.md'), join(stage, 'README.md'));

try {
  execFileSync(mcpb, ['validate', join(stage, 'manifest.json')], { stdio: 'inherit' });
  execFileSync(mcpb, ['pack', stage, out], { stdio: 'inherit' });
} finally {
  rmSync(stage, { recursive: true, force: true }); // no half-built staging left behind, pass or fail
}
process.stdout.write(`${out}\n`);
