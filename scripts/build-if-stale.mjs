// `npm start` and `npm run demo` build first when dist/ is missing or older than any source file.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

const built = existsSync('dist/index.js') ? statSync('dist/index.js').mtimeMs : 0;
if (built === 0 || newest('src') > built) {
  process.stderr.write('[qwen-asr-mcp] building dist/ ...\n');
  execSync('npm run build --silent', { stdio: ['ignore', 'ignore', 'inherit'] });
}
