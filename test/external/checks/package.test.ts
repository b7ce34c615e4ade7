/**
 * Shipping: the npm tarball holds only what runs and works when installed offline into an empty
 * directory; the Claude Desktop bundle validates with the official MCPB CLI, unpacks, and its server
 * starts from the manifest's own command with the user's settings.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDashScope } from '../../../dev/fake-dashscope/server.js';
import { fixture, tempDir } from '../../helpers/env.js';
import { EXTERNAL, NODE22 } from '../../helpers/external.js';
import { TOOL_NAMES, type ToolResult } from '../../helpers/mcp.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..', '..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const fake = new FakeDashScope({ runMs: 20 });
const home = tempDir();
beforeAll(() => fake.start());
afterAll(() => fake.stop());

async function drive(command: string, args: string[], env: Record<string, string>) {
  const client = new Client({ name: 'package-test', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command,
      args,
      env: { PATH: process.env.PATH ?? '', ...env },
      stderr: 'ignore',
    }),
  );
  try {
    const { tools } = await client.listTools();
    const result = (await client.callTool({
      name: 'asr_transcribe',
      arguments: { audio: fixture('speech-16k-mono.wav') },
    })) as ToolResult;
    return { tools: tools.map((t) => t.name).sort(), result, version: client.getServerVersion()?.version };
  } finally {
    await client.close();
  }
}

describe('npm package', () => {
  it('packs only what runs, installs offline into an empty directory, and serves from the installed binary', async () => {
    const dir = tempDir('qwen-asr-pack-');
    // --ignore-scripts: dist/ is already built by `pretest`; rebuilding would pull it from under other tests.
    const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], {
      cwd: ROOT,
    });
    const [info] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[]; size: number }];
    // Every file the build made, and nothing else but the package's own papers.
    const built = readdirSync(join(ROOT, 'dist')).map((f) => `dist/${f}`);
    expect(built).toEqual(
      expect.arrayContaining(['dist/index.js', 'dist/server.cjs', 'dist/THIRD_PARTY_LICENSES.txt']),
    );
    expect(info.files.map((f) => f.path).sort()).toEqual(
      ['LICENSE', 'README.md', ...built, 'package.json'].sort(),
    );
    expect(pkg.dependencies ?? {}).toEqual({});

    const app = join(dir, 'app');
    await run('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), '{"name":"empty-app","version":"1.0.0","private":true}\n');
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', join(dir, info.filename)], {
      cwd: app,
    });
    const bin = join(app, 'node_modules', '.bin', 'qwen-asr-mcp');
    expect(existsSync(bin)).toBe(true);

    const { stdout: version } = await run(bin, ['--version']);
    expect(version.trim()).toBe(pkg.version);
    // Straight from the tarball with npx, as a client's config runs it (offline: it has no dependencies).
    const viaNpx = await drive(
      'npx',
      ['--yes', '--offline', `--package=${join(dir, info.filename)}`, 'qwen-asr-mcp'],
      fake.env({ HOME: home, OUTPUT_DIR: join(home, 'out'), npm_config_cache: join(dir, 'npm-cache') }),
    );
    expect(viaNpx.tools).toEqual(TOOL_NAMES);
    expect(viaNpx.result.structuredContent!.text).toMatch(/^Welcome to Alibaba Cloud/);
    const session = await drive(bin, [], fake.env({ HOME: home, OUTPUT_DIR: join(home, 'out') }));
    expect(session.tools).toEqual(TOOL_NAMES);
    expect(session.version).toBe(pkg.version);
    expect(session.result.isError).toBeFalsy();
    expect(session.result.structuredContent!.text).toMatch(/^Welcome to Alibaba Cloud/);

    // Node 22 too (its own compile cache), and Node 20 with the cache folder missing, unusable or corrupt.
    const cache = join(dir, 'cache');
    const env = (extra: Record<string, string>) =>
      fake.env({ HOME: home, OUTPUT_DIR: join(home, 'out'), ...extra });
    const installed = join(app, 'node_modules', 'qwen-asr-mcp', 'dist', 'index.js');
    const on22 = await drive(NODE22, [installed], env({ ASR_CODE_CACHE_DIR: join(cache, 'node22') }));
    expect(on22.result.structuredContent!.text).toMatch(/^Welcome to Alibaba Cloud/);
    expect(readdirSync(join(cache, 'node22')).length).toBeGreaterThan(0);
    const missing = join(cache, 'missing', 'deeper');
    expect((await drive(bin, [], env({ ASR_CODE_CACHE_DIR: missing }))).result.isError).toBeFalsy();
    // One cache per file run: the bundle, and undici (loaded by the call's first request). Keyed by
    // package version, Node and V8 versions, machine, Node's flags, the installed copy, and the file's
    // size and time.
    const written = readdirSync(missing).sort();
    const key = (stem: string) =>
      new RegExp(
        `^${stem}-${pkg.version.replace(/\./g, '\\.')}-v20\\.[\\d.]+-${process.versions.v8.replace(/\./g, '\\.')}-${process.arch}-\\w+-\\w+-\\d+-\\d+\\.v8$`,
      );
    expect(written).toHaveLength(2);
    expect(written[0]).toMatch(key('server'));
    expect(written[1]).toMatch(key('undici'));
    for (const name of written) writeFileSync(join(missing, name), 'not V8 cached data');
    // Beside them, an older bundle's cache of this copy (removed when the cache is rewritten) and the
    // cache of another copy or Node (kept: an npx copy and the Claude Desktop bundle share the folder).
    const olderBundle = written[0]!.replace(/-\d+-\d+\.v8$/, '-1-1.v8');
    const otherCopy = `server-${pkg.version}-v20.0.0-11.3.0-${process.arch}-a-b-1-1.v8`;
    for (const name of [olderBundle, otherCopy]) writeFileSync(join(missing, name), 'another cache');
    expect((await drive(bin, [], env({ ASR_CODE_CACHE_DIR: missing }))).result.isError).toBeFalsy();
    for (const name of written) expect(readFileSync(join(missing, name)).length).toBeGreaterThan(1000); // rebuilt
    expect(readdirSync(missing).sort()).toEqual([...written, otherCopy].sort());
    const readOnly = join(cache, 'read-only');
    mkdirSync(readOnly);
    writeFileSync(join(readOnly, 'blocker'), '');
    chmodSync(readOnly, 0o555);
    // A file where the folder should be fails for root too: the cache cannot be written, the server runs.
    const blocked = join(readOnly, 'blocker', 'sub');
    expect((await drive(bin, [], env({ ASR_CODE_CACHE_DIR: blocked }))).result.isError).toBeFalsy();
    expect((await drive(bin, [], env({ ASR_CODE_CACHE_DIR: 'off' }))).result.isError).toBeFalsy();

    // The SDK's optional parts, kept out of the start-up bundle, load and work from the installed copy.
    const optional = join(app, 'node_modules', 'qwen-asr-mcp', 'dist', 'sdk-optional.cjs');
    const { stdout: checked } = await run(process.execPath, [
      '-e',
      `const m = require(${JSON.stringify(optional)});
       const v = new m.AjvJsonSchemaValidator().getValidator({ type: 'object', required: ['a'] });
       console.log(JSON.stringify([v({ a: 1 }).valid, v({}).valid, typeof m.object, typeof m.zodToJsonSchema]));`,
    ]);
    expect(JSON.parse(checked)).toEqual([true, false, 'function', 'function']);
  });
});

describe('Claude Desktop bundle (MCPB)', () => {
  it('validates, unpacks, and starts from the manifest with the user config', async () => {
    const dir = tempDir('qwen-asr-mcpb-');
    const file = join(dir, 'qwen-asr-mcp.mcpb');
    const { stdout } = await run(process.execPath, [join(ROOT, 'scripts', 'build-mcpb.mjs'), file], {
      cwd: ROOT,
      env: { ...process.env, QWEN_ASR_SKIP_BUILD: '1' },
    });
    expect(stdout).toMatch(/Manifest schema validation passes/);
    const unpacked = join(dir, 'unpacked');
    await run(join(EXTERNAL, 'node_modules', '.bin', 'mcpb'), ['unpack', file, unpacked]);
    const manifest = JSON.parse(readFileSync(join(unpacked, 'manifest.json'), 'utf8'));
    expect(manifest.version).toBe(pkg.version);
    expect(manifest.user_config.api_key).toMatchObject({ sensitive: true, required: true });
    expect(manifest.user_config.output_dir.type).toBe('directory');

    // What Claude Desktop does: substitute ${__dirname} and ${user_config.*}, then run the command.
    const userConfig: Record<string, string> = {
      api_key: fake.env().DASHSCOPE_API_KEY!,
      region: 'cn-beijing',
      output_dir: join(home, 'bundle-out'),
      allowed_dir: '',
    };
    const expand = (v: string) =>
      v
        .replaceAll(['$', '{__dirname}'].join(''), unpacked)
        .replace(/\$\{user_config\.(\w+)\}/g, (_, k: string) => userConfig[k] ?? '');
    const config = manifest.server.mcp_config as {
      command: string;
      args: string[];
      env: Record<string, string>;
    };
    const env = Object.fromEntries(Object.entries(config.env).map(([k, v]) => [k, expand(v)]));
    // The fake stands in for DashScope; everything else is the bundle's own configuration.
    const session = await drive(
      config.command === 'node' ? process.execPath : config.command,
      config.args.map(expand),
      {
        ...env,
        HOME: home,
        DASHSCOPE_HTTP_BASE_URL: fake.env().DASHSCOPE_HTTP_BASE_URL!,
      },
    );
    expect(session.tools).toEqual(manifest.tools.map((t: { name: string }) => t.name).sort());
    expect(session.result.isError).toBeFalsy();
    expect(
      (session.result.structuredContent!.files as { txt: string }).txt.startsWith(join(home, 'bundle-out')),
    ).toBe(true);
  }, 120_000);
});
