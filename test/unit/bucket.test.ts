/** ASR_BUCKET settings (config/bucket.ts) and the bucket client's pure parts (keys, URLs, list parsing). */
import { describe, expect, it } from 'vitest';
import { BucketClient, parseListObjects } from '../../src/bucket/client.js';
import { loadBucketConfig } from '../../src/config/bucket.js';
import { loadConfig } from '../../src/config/config.js';
import { ConfigurationError } from '../../src/domain/errors.js';
import { scrub } from '../../src/util/secrets.js';
import { captureLogger } from '../helpers/env.js';

const CREDS = {
  AWS_ACCESS_KEY_ID: 'AKIAUNITTEST00000000',
  AWS_SECRET_ACCESS_KEY: 'unit-test-secret-0000000000',
};
const BASE = {
  ASR_BUCKET: 'my-bucket',
  ASR_BUCKET_ENDPOINT: 'https://oss-cn-beijing.aliyuncs.com',
  ASR_BUCKET_REGION: 'cn-beijing',
  ...CREDS,
};

function refusal(env: Record<string, string>): string {
  try {
    loadBucketConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigurationError);
    const e = err as ConfigurationError;
    return `${e.message} ${e.hint ?? ''}`;
  }
  throw new Error('accepted');
}

describe('bucket settings', () => {
  it('is off without ASR_BUCKET, and Config.bucket follows', () => {
    expect(loadBucketConfig({ ...CREDS })).toBeUndefined();
    expect(loadConfig({}, { home: '/h', cwd: '/c' }).bucket).toBeUndefined();
    expect(loadConfig(BASE, { home: '/h', cwd: '/c' }).bucket?.name).toBe('my-bucket');
  });

  it('has the documented defaults, and masks the secret from then on', () => {
    const c = loadBucketConfig(BASE)!;
    expect(c).toMatchObject({
      endpoint: 'https://oss-cn-beijing.aliyuncs.com',
      region: 'cn-beijing',
      prefix: 'qwen-asr-mcp/',
      urlTtlS: 86_400,
      keep: false,
      pathStyle: false,
      accessKeyId: 'AKIAUNITTEST00000000',
      sessionToken: undefined,
      credentialVars: 'AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY',
    });
    expect(scrub(`x ${CREDS.AWS_SECRET_ACCESS_KEY} y`)).toBe('x *** y');
  });

  it('prefers OSS_* credentials, with their session token', () => {
    const c = loadBucketConfig({
      ...BASE,
      OSS_ACCESS_KEY_ID: 'LTAIunit',
      OSS_ACCESS_KEY_SECRET: 'oss-unit-secret-000',
      OSS_SESSION_TOKEN: 'sts-token-0000',
    })!;
    expect(c.accessKeyId).toBe('LTAIunit');
    expect(c.sessionToken).toBe('sts-token-0000');
    expect(c.credentialVars).toBe('OSS_ACCESS_KEY_ID / OSS_ACCESS_KEY_SECRET / OSS_SESSION_TOKEN');
  });

  it('derives the region from AWS endpoints only, and the endpoint from the region', () => {
    const aws = (endpoint: string) =>
      loadBucketConfig({ ...BASE, ASR_BUCKET_REGION: '', ASR_BUCKET_ENDPOINT: endpoint })?.region;
    expect(aws('https://s3.eu-west-1.amazonaws.com')).toBe('eu-west-1');
    expect(aws('https://s3-ap-southeast-2.amazonaws.com/')).toBe('ap-southeast-2');
    expect(aws('https://s3.amazonaws.com')).toBe('us-east-1');
    expect(loadBucketConfig({ ...BASE, ASR_BUCKET_ENDPOINT: '' })?.endpoint).toBe(
      'https://s3.cn-beijing.amazonaws.com',
    );
    expect(refusal({ ...BASE, ASR_BUCKET_REGION: '' })).toMatch(/ASR_BUCKET_REGION is required/);
  });

  it('refuses bad values, naming the variable', () => {
    expect(refusal({ ...BASE, ASR_BUCKET: 'My_Bucket' })).toMatch(/^ASR_BUCKET "My_Bucket"/);
    expect(refusal({ ...BASE, ASR_BUCKET_ENDPOINT: '', ASR_BUCKET_REGION: '' })).toMatch(
      /ASR_BUCKET_ENDPOINT is not/,
    );
    expect(refusal({ ...BASE, ASR_BUCKET_ENDPOINT: 'oss-cn-beijing' })).toMatch(
      /ASR_BUCKET_ENDPOINT .* not a URL/,
    );
    expect(refusal({ ...BASE, ASR_BUCKET_ENDPOINT: 'ftp://x.example' })).toMatch(
      /ASR_BUCKET_ENDPOINT must be an http/,
    );
    expect(refusal({ ...BASE, ASR_BUCKET_ENDPOINT: 'https://x.example/my-bucket' })).toMatch(
      /ASR_BUCKET_ENDPOINT must be the store's origin/,
    );
    expect(refusal({ ...BASE, ASR_BUCKET_ENDPOINT: 'http://10.0.0.5:9000' })).toMatch(
      /ASR_BUCKET_PATH_STYLE=true/,
    );
    expect(refusal({ ...BASE, ASR_BUCKET_REGION: 'cn beijing' })).toMatch(/^ASR_BUCKET_REGION/);
    expect(refusal({ ...BASE, ASR_BUCKET_PREFIX: ' ' })).toMatch(/^ASR_BUCKET_PREFIX may not be empty/);
    expect(refusal({ ...BASE, ASR_BUCKET_PREFIX: 'a/../b' })).toMatch(/^ASR_BUCKET_PREFIX/);
    expect(refusal({ ...BASE, ASR_BUCKET_URL_TTL_S: '604801' })).toMatch(/^ASR_BUCKET_URL_TTL_S .* 604800/);
    expect(refusal({ ...BASE, ASR_BUCKET_URL_TTL_S: '1.5' })).toMatch(/^ASR_BUCKET_URL_TTL_S/);
    expect(refusal({ ...BASE, ASR_BUCKET_KEEP: 'maybe' })).toMatch(/^ASR_BUCKET_KEEP must be true or false/);
    expect(refusal({ ...BASE, ASR_BUCKET_PATH_STYLE: '2' })).toMatch(/^ASR_BUCKET_PATH_STYLE/);
    const noCreds = { ...BASE, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' };
    expect(refusal(noCreds)).toMatch(
      /OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET .* AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/,
    );
    expect(refusal({ ...noCreds, OSS_ACCESS_KEY_ID: 'LTAIx' })).toMatch(/^OSS_ACCESS_KEY_SECRET is not set/);
    expect(refusal({ ...noCreds, AWS_SECRET_ACCESS_KEY: 'only-the-secret-000' })).toMatch(
      /^AWS_ACCESS_KEY_ID is not set/,
    );
    // The start-up check is the same one: loadConfig refuses too.
    expect(() => loadConfig({ ...BASE, ASR_BUCKET_KEEP: 'maybe' })).toThrow(/ASR_BUCKET_KEEP/);
  });

  it('normalises the prefix and accepts plain http with path style', () => {
    const c = loadBucketConfig({
      ...BASE,
      ASR_BUCKET_PREFIX: '/asr/uploads',
      ASR_BUCKET_ENDPOINT: 'http://127.0.0.1:9000/',
      ASR_BUCKET_PATH_STYLE: 'true',
      ASR_BUCKET_URL_TTL_S: '3600',
      ASR_BUCKET_KEEP: 'yes',
    })!;
    expect(c).toMatchObject({
      prefix: 'asr/uploads/',
      endpoint: 'http://127.0.0.1:9000',
      pathStyle: true,
      urlTtlS: 3600,
      keep: true,
    });
  });
});

describe('bucket client: keys and URLs', () => {
  const client = (extra: Record<string, string> = {}) =>
    new BucketClient({
      config: loadBucketConfig({ ...BASE, ...extra })!,
      transport: () => Promise.reject(new Error('no network in unit tests')),
      logger: captureLogger(),
      timeoutMs: 1000,
      attempts: 1,
      now: () => Date.parse('2026-11-25T10:00:00Z'),
    });

  it('keys: prefix, day, uuid, a safe stem of at most 80 characters, the extension', () => {
    const c = client();
    expect(c.objectKey('Réunion du 3 mars (final).MP3')).toMatch(
      /^qwen-asr-mcp\/20261125\/[0-9a-f-]{36}-Reunion_du_3_mars_final\.mp3$/,
    );
    const long = c.objectKey(`${'x'.repeat(200)}.wav`);
    expect(long.split('-').at(-1)).toBe(`${'x'.repeat(80)}.wav`);
    expect(c.objectKey('...')).toMatch(/-audio$/);
  });

  it('virtual-hosted by default, path style when configured', () => {
    expect(client().objectUrl('p/k.wav')).toBe('https://my-bucket.oss-cn-beijing.aliyuncs.com/p/k.wav');
    expect(client({ ASR_BUCKET_PATH_STYLE: 'true' }).objectUrl('p/k.wav')).toBe(
      'https://oss-cn-beijing.aliyuncs.com/my-bucket/p/k.wav',
    );
    const url = new URL(client().presignGet('p/k.wav'));
    expect(url.host).toBe('my-bucket.oss-cn-beijing.aliyuncs.com');
    expect(url.searchParams.get('X-Amz-Credential')).toBe(
      'AKIAUNITTEST00000000/20261125/cn-beijing/s3/aws4_request',
    );
    expect(url.searchParams.get('X-Amz-Expires')).toBe('86400');
  });
});

describe('ListObjectsV2 parsing', () => {
  it('reads keys, dates and the continuation token, decoding entities', () => {
    const xml = `<?xml version="1.0"?><ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>a&amp;b=</NextContinuationToken>
      <Contents><Key>p/a&lt;1&gt;&#x41;&#66;.wav</Key><LastModified>2026-01-02T03:04:05.000Z</LastModified><Size>3</Size></Contents>
      <Contents><Key>p/b.wav</Key><LastModified>not a date</LastModified></Contents></ListBucketResult>`;
    expect(parseListObjects(xml)).toEqual({
      objects: [{ key: 'p/a<1>AB.wav', lastModified: Date.parse('2026-01-02T03:04:05Z') }],
      next: 'a&b=',
    });
    expect(parseListObjects('<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>')).toEqual(
      { objects: [], next: undefined },
    );
  });
});
