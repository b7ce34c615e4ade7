/** User-given paths read the way a shell would: `~` for home, relative to the working directory. */
import { isAbsolute, join, resolve } from 'node:path';

export function expandHome(path: string, home: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/') || path.startsWith('~\\')) return join(home, path.slice(2));
  return path;
}

export function resolveUserPath(path: string, home: string, cwd = process.cwd()): string {
  const expanded = expandHome(path, home);
  return isAbsolute(expanded) ? expanded : resolve(cwd, expanded);
}
