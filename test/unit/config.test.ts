import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseIni, resolveApiKey } from '../../src/config/config.js';
import { ConfigurationError, ConnectionError } from '../../src/domain/errors.js';
import { tempDir } from '../helpers/env.js';
import { makeService } from '../helpers/service.js';

// These tests only compare base-URL strings; nothing here sends a request (all traffic goes to the local
// fake). test/setup/loopback-only.ts enforces it: the last test shows a request to the real host is blocked.
describe('loadConfig', () => {
  const home = tempDir();
  const load = (env: Record<string, string>) => loadConfig(env, { home, cwd: home });

  it('defaults to Beijing, both bases', () => {
    const c = load({});
    expect(c.region).toBe('cn-beijing');
    expect(c.nativeBaseUrl).toBe('https://dashscope.aliyuncs.com/api/v1');
    expect(c.compatibleBaseUrl).toBe('https://dashscope.aliyuncs.com/compatible-mode/v1');
    expect(c.outputDir).toBe(join(home, 'output'));
    expect(c.waitBudgetS).toBe(45);
  });

  it('maps region names and aliases, with the SDK variable as a fallback', () => {
    for (const name of ['ap-southeast-1', 'intl', 'singapore', 'INTL']) {
      expect(load({ DASHSCOPE_REGION: name }).nativeBaseUrl).toBe(
        'https://dashscope-intl.aliyuncs.com/api/v1',
      );
    }
    expect(load({ DASHSCOPE_API_REGION: 'intl' }).region).toBe('ap-southeast-1');
    const us = load({ DASHSCOPE_REGION: 'us-east-1' });
    expect(us.nativeBaseUrl).toBe('https://dashscope-us.aliyuncs.com/api/v1');
    expect(us.compatibleBaseUrl).toBeUndefined();
  });

  it('derives the compatible base from a native override, like the Node SDK', () => {
    const c = load({ DASHSCOPE_HTTP_BASE_URL: 'http://127.0.0.1:9/api/v1/' });
    expect(c.nativeBaseUrl).toBe('http://127.0.0.1:9/api/v1');
    expect(c.compatibleBaseUrl).toBe('http://127.0.0.1:9/compatible-mode/v1');
    const both = load({
      DASHSCOPE_HTTP_BASE_URL: 'http://a/api/v1',
      DASHSCOPE_COMPATIBLE_BASE_URL: 'http://b/c',
    });
    expect(both.compatibleBaseUrl).toBe('http://b/c');
  });

  it('refuses bad values with the variable named', () => {
    expect(() => load({ DASHSCOPE_REGION: 'mars' })).toThrow(/DASHSCOPE_REGION "mars"/);
    expect(() => load({ DASHSCOPE_HTTP_BASE_URL: 'not a url' })).toThrow(/DASHSCOPE_HTTP_BASE_URL/);
    expect(() => load({ ASR_MAX_RETRIES: '-1' })).toThrow(/ASR_MAX_RETRIES must be a number from 0 to 10/);
    expect(() => load({ ASR_HTTP_TIMEOUT_MS: 'soon' })).toThrow(ConfigurationError);
  });
});

describe('resolveApiKey', () => {
  it('takes DASHSCOPE_API_KEY first', () => {
    const home = tempDir();
    expect(resolveApiKey({ env: { DASHSCOPE_API_KEY: ' sk-env ' }, home })).toEqual({
      key: 'sk-env',
      source: 'DASHSCOPE_API_KEY',
    });
  });

  it('then the key file (named, or ~/.dashscope/api_key)', () => {
    const home = tempDir();
    mkdirSync(join(home, '.dashscope'));
    writeFileSync(join(home, '.dashscope', 'api_key'), 'sk-default-file\n');
    writeFileSync(join(home, 'other'), 'sk-named-file\n');
    expect(resolveApiKey({ env: {}, home }).key).toBe('sk-default-file');
    expect(resolveApiKey({ env: { DASHSCOPE_API_KEY_FILE_PATH: '~/other' }, home }).key).toBe(
      'sk-named-file',
    );
    expect(() => resolveApiKey({ env: { DASHSCOPE_API_KEY_FILE_PATH: '~/missing' }, home })).toThrow(
      /does not exist/,
    );
  });

  it('then ~/.alibabacloud/credentials, by profile', () => {
    const home = tempDir();
    mkdirSync(join(home, '.alibabacloud'));
    writeFileSync(
      join(home, '.alibabacloud', 'credentials'),
      '[default]\naccess_key_id = AK\ndashscope_api_key = sk-default\n\n; comment\n[work]\ndashscope_api_key = "sk-work"\n',
    );
    expect(resolveApiKey({ env: {}, home }).key).toBe('sk-default');
    expect(resolveApiKey({ env: { ALIBABA_CLOUD_PROFILE: 'work' }, home }).key).toBe('sk-work');
    expect(resolveApiKey({ env: { ALICLOUD_PROFILE: 'work' }, home }).key).toBe('sk-work');
  });

  it('explains every way to set a key when none is found', () => {
    const home = tempDir();
    const err = (() => {
      try {
        resolveApiKey({ env: {}, home });
      } catch (e) {
        return e as ConfigurationError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err?.describe()).toMatch(/DASHSCOPE_API_KEY/);
    expect(err?.describe()).toContain(join(home, '.dashscope', 'api_key'));
    expect(err?.describe()).toContain('credentials');
  });

  it('parses INI sections and quoted values', () => {
    expect(parseIni('[a]\nx = 1\n# c\n[profile b]\ny="2"\n')).toEqual({ a: { x: '1' }, b: { y: '2' } });
  });
});

describe('the test network guard', () => {
  it('blocks any connection to the real DashScope host, before DNS or TLS', async () => {
    const home = tempDir();
    const config = loadConfig({ DASHSCOPE_API_KEY: 'sk-fake-guard-not-real' }, { home, cwd: home });
    expect(config.nativeBaseUrl).toBe('https://dashscope.aliyuncs.com/api/v1');
    const { service } = makeService({ ...config, maxRetries: 0 });
    const err = await service.transcribe({ audio: 'https://example.invalid/a.mp3' }).catch((e) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect(String(err.cause?.message ?? err.cause)).toMatch(
      /tests may not connect to dashscope\.aliyuncs\.com: only loopback/,
    );
  });
});
