// tsc does not keep the executable bit; npm sets it on install, but a clone runs dist/index.js directly.
import { chmodSync, existsSync } from 'node:fs';

if (existsSync('dist/index.js')) chmodSync('dist/index.js', 0o755);
