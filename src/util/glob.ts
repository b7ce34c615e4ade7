/**
 * A tiny glob for batch folders: `*` (any run of characters but `/`), `?` (one such character), `**`
 * (any number of folders, including none), `{a,b}` (alternatives, not nested). Matched against a path
 * relative to the folder, with `/` separators; case-sensitive.
 */
export function globToRegExp(pattern: string): RegExp {
  let out = '';
  let inBraces = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        // `**/` matches zero or more folders; a trailing or inner `**` anything at all.
        if (pattern[i + 1] === '/') {
          i++;
          out += '(?:.*/)?';
        } else out += '.*';
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '{' && !inBraces) {
      inBraces = true;
      out += '(?:';
    } else if (c === '}' && inBraces) {
      inBraces = false;
      out += ')';
    } else if (c === ',' && inBraces) out += '|';
    else out += c.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  if (inBraces) throw new Error(`unclosed { in pattern ${pattern}`);
  return new RegExp(`^${out}$`);
}
