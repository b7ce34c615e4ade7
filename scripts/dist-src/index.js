#!/usr/bin/env node
// qwen-asr-mcp's entry: loads the bundled server (server.cjs) with its compiled code cached between
// starts, so a client waits for V8 to compile its code only the first time. Node >= 22.1 has a
// compile cache of its own; on Node 20 the bundle (and each file it loads later) runs as a classic
// script with V8's cached data.
// A missing, stale, corrupt or unwritable cache costs nothing but the speed-up, and the cache is
// written when the process exits, never before the first answer. ASR_CODE_CACHE_DIR=off turns it off.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

// The build writes the package's version here (scripts/build.mjs).
const PACKAGE_VERSION = 'unbuilt';
const here = dirname(fileURLToPath(import.meta.url));
const bundle = join(here, 'server.cjs');
const require = createRequire(bundle);
/** The files beside the bundle that it requires when first needed (scripts/bundle-plugins.mjs). */
const LAZY_FILES = new Set(['./undici.cjs', './sdk-optional.cjs']);

function cacheDir() {
  const set = process.env.ASR_CODE_CACHE_DIR?.trim();
  if (set) return set.toLowerCase() === 'off' ? undefined : set;
  const home = homedir();
  if (process.platform === 'win32')
    return join(process.env.LOCALAPPDATA || join(home, 'AppData', 'Local'), 'qwen-asr-mcp', 'Cache');
  if (process.platform === 'darwin') return join(home, 'Library', 'Caches', 'qwen-asr-mcp');
  return join(process.env.XDG_CACHE_HOME || join(home, '.cache'), 'qwen-asr-mcp');
}

const dir = cacheDir();
if (dir && typeof Module.enableCompileCache === 'function') {
  try {
    Module.enableCompileCache(join(dir, 'node-compile-cache'));
  } catch {
    // No cache: slower start, same server.
  }
  require(bundle);
} else if (!dir) {
  require(bundle);
} else {
  runWithCodeCache(dir);
}

/**
 * Node 20: the bundle, and the files it requires when first needed (undici, the SDK's optional parts),
 * each compiled from V8's cached data when there is some. A lazily loaded file is half of the first
 * request's wait without it.
 */
function runWithCodeCache(dir) {
  // Keyed by what makes cached code invalid: the package and the file, Node and V8, the machine and the
  // flags Node was started with. V8 checks its own flags again and rejects a cache that does not fit
  // them; it is then written anew.
  const runtime = `${process.version}-${process.versions.v8}-${process.arch}`;
  const flags = hash(`${process.execArgv.join(' ')}|${process.env.NODE_OPTIONS ?? ''}`);
  // Which installed copy: an npx copy and the Claude Desktop bundle keep their caches side by side.
  const variant = `-${runtime}-${flags}-${hash(here)}-`;
  const loaded = new Map();
  const saving = new Set();
  const plainRequire = require;
  const requireBeside = Object.assign((id) => {
    const name = LAZY_FILES.has(id) ? id.slice(2) : undefined;
    if (!name) return plainRequire(id);
    if (!loaded.has(name)) loaded.set(name, load(name));
    return loaded.get(name);
  }, plainRequire);

  function load(name) {
    const file = join(here, name);
    const stat = statSync(file);
    const stem = name.replace(/\.cjs$/, '');
    const key = `${stem}-${PACKAGE_VERSION}${variant}${stat.size}-${Math.round(stat.mtimeMs)}.v8`;
    let cached;
    try {
      cached = readFileSync(join(dir, key));
    } catch {
      cached = undefined;
    }
    const source = readFileSync(file, 'utf8').replace(/^#!.*/, '');
    const script = new Script(Module.wrap(source), { filename: file, cachedData: cached });
    if ((!cached || script.cachedDataRejected) && !saving.has(name)) {
      // After the work, not before it: V8 then also knows the functions the server actually ran.
      saving.add(name);
      process.once('exit', () => saveCache(script, dir, key, `${stem}-`, variant));
    }
    const module = { exports: {}, filename: file, id: file, loaded: false };
    script.runInThisContext()(module.exports, requireBeside, module, file, here);
    module.loaded = true;
    return module.exports;
  }

  load('server.cjs');
}

/** A short hash of a string (FNV-1a), for a file name. */
function hash(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

function saveCache(script, dir, key, prefix, variant) {
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `${key}.${process.pid}.tmp`);
    writeFileSync(tmp, script.createCachedData());
    renameSync(tmp, join(dir, key));
    // Other caches of this file: this copy's older bundles go at once; those another copy, Node or set
    // of flags may still use go once nothing has rewritten them for 30 days.
    const stale = Date.now() - 30 * 24 * 3600 * 1000;
    for (const name of readdirSync(dir)) {
      if (!name.startsWith(prefix) || name === key || name.endsWith('.tmp')) continue;
      const path = join(dir, name);
      try {
        if (name.includes(variant) || statSync(path).mtimeMs < stale) rmSync(path, { force: true });
      } catch {
        // Removed by another process meanwhile.
      }
    }
  } catch {
    // An unwritable cache folder only costs the speed-up.
  }
}
