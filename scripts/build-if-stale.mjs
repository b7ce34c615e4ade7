// `npm start`, `npm run demo` and the benchmarks build first when dist/ is missing or older than any
// file it is built from: the sources, the build scripts, package.json (its version is baked in).
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newest(path) {
  if (!statSync(path).isDirectory()) return statSync(path).mtimeMs;
  const dir = path;
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, newest(path));
  }
  return latest;
}

const built = existsSync('dist/index.js') ? statSync('dist/index.js').mtimeMs : 0;
const inputs = ['src', 'scripts/build.mjs', 'scripts/bundle-plugins.mjs', 'scripts/dist-src', 'package.json'];
if (built === 0 || Math.max(...inputs.map(newest)) > built) {
  process.stderr.write('[qwen-asr-mcp] building dist/ ...\n');
  execSync('npm run build --silent', { stdio: ['ignore', 'ignore', 'inherit'] });
}
