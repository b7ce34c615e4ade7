/**
 * Settings of the user's own S3-compatible bucket (issue #14): Alibaba Cloud OSS, AWS S3, R2, MinIO.
 * Setting ASR_BUCKET turns the feature on; local files for async models then go there instead of
 * DashScope's temporary storage. Everything is validated here, once, at start-up.
 */
import { ConfigurationError } from '../domain/errors.js';
import { registerSecret } from '../util/secrets.js';

export interface BucketConfig {
  name: string;
  /** Origin of the store, without a trailing slash: `https://oss-cn-beijing.aliyuncs.com`. */
  endpoint: string;
  /** Region in the signature's credential scope. */
  region: string;
  /** Object keys start with this; always ends in `/`. */
  prefix: string;
  /** Lifetime of the presigned GET handed to the model, and the age past which the sweep deletes. */
  urlTtlS: number;
  /** ASR_BUCKET_KEEP: leave objects in place when their task ends. */
  keep: boolean;
  /** `<endpoint>/<bucket>/<key>` instead of `<bucket>.<endpoint host>/<key>`. */
  pathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string | undefined;
  /** Which variables the credentials came from, for messages (never the values). */
  credentialVars: string;
}

type Env = Record<string, string | undefined>;

const MAX_TTL_S = 604_800;
const MIN_TTL_S = 300;
const AWS_HOST = /^s3[.-](?:dualstack\.)?([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?$/;
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

const text = (env: Env, name: string): string | undefined => env[name]?.trim() || undefined;

/** undefined when ASR_BUCKET is unset: the feature is off and nothing else here is read. */
export function loadBucketConfig(env: Env): BucketConfig | undefined {
  const name = text(env, 'ASR_BUCKET');
  if (!name) return undefined;
  if (!BUCKET_NAME.test(name) || name.includes('..')) {
    throw new ConfigurationError(
      `ASR_BUCKET "${name.slice(0, 80)}" is not a bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit.`,
    );
  }
  const regionSetting = text(env, 'ASR_BUCKET_REGION');
  if (regionSetting && !/^[A-Za-z0-9-]{1,64}$/.test(regionSetting)) {
    throw new ConfigurationError(
      `ASR_BUCKET_REGION "${regionSetting.slice(0, 80)}" is not a region name (e.g. us-east-1, cn-beijing).`,
    );
  }
  const endpoint = endpointSetting(env, regionSetting);
  const host = new URL(endpoint).hostname;
  const region = regionSetting ?? awsRegion(host);
  if (!region) {
    throw new ConfigurationError(
      `ASR_BUCKET_REGION is required for the endpoint ${endpoint} (it is only derived from AWS endpoints, s3.<region>.amazonaws.com).`,
      {
        hint: 'Set ASR_BUCKET_REGION to the bucket\'s region as its S3-compatible API names it, e.g. "cn-beijing" for oss-cn-beijing.aliyuncs.com, "auto" for Cloudflare R2, "us-east-1" for MinIO.',
      },
    );
  }
  const pathStyle = boolSetting(env, 'ASR_BUCKET_PATH_STYLE', false);
  if (!pathStyle && (/^[\d.]+$/.test(host) || host.startsWith('['))) {
    throw new ConfigurationError(
      `ASR_BUCKET_ENDPOINT ${endpoint} is an IP address, which cannot carry the bucket as a subdomain.`,
      { hint: 'Set ASR_BUCKET_PATH_STYLE=true.' },
    );
  }
  return {
    name,
    endpoint,
    region,
    prefix: prefixSetting(env),
    urlTtlS: ttlSetting(env),
    keep: boolSetting(env, 'ASR_BUCKET_KEEP', false),
    pathStyle,
    ...credentials(env),
  };
}

function endpointSetting(env: Env, region: string | undefined): string {
  const value = text(env, 'ASR_BUCKET_ENDPOINT');
  if (!value) {
    if (region) return `https://s3.${region}.amazonaws.com`;
    throw new ConfigurationError('ASR_BUCKET is set, but ASR_BUCKET_ENDPOINT is not.', {
      hint: "Set ASR_BUCKET_ENDPOINT to the store's S3 endpoint, e.g. https://s3.oss-cn-beijing.aliyuncs.com or https://oss-cn-beijing.aliyuncs.com (OSS), https://s3.eu-west-1.amazonaws.com, https://<account>.r2.cloudflarestorage.com or http://127.0.0.1:9000 (MinIO); or set ASR_BUCKET_REGION alone for AWS.",
    });
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError(
      `ASR_BUCKET_ENDPOINT "${value.slice(0, 120)}" is not a URL. Example: https://oss-cn-beijing.aliyuncs.com`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigurationError(`ASR_BUCKET_ENDPOINT must be an http(s) URL, got "${value.slice(0, 120)}".`);
  }
  if (
    url.username ||
    url.password ||
    url.search ||
    url.hash ||
    (url.pathname !== '/' && url.pathname !== '')
  ) {
    throw new ConfigurationError(
      `ASR_BUCKET_ENDPOINT must be the store's origin only (scheme, host, port), got "${url.origin}${url.pathname === '/' ? '' : url.pathname}…".`,
      { hint: 'Name the bucket in ASR_BUCKET and the key prefix in ASR_BUCKET_PREFIX, not in the endpoint.' },
    );
  }
  return url.origin;
}

function awsRegion(host: string): string | undefined {
  if (host === 's3.amazonaws.com') return 'us-east-1';
  return AWS_HOST.exec(host)?.[1];
}

function prefixSetting(env: Env): string {
  const raw = env.ASR_BUCKET_PREFIX;
  const value = raw === undefined ? 'qwen-asr-mcp/' : raw.trim().replace(/^\/+/, '');
  // The start-up sweep deletes old objects under the prefix: without one it would sweep the whole bucket.
  if (!value) {
    throw new ConfigurationError(
      'ASR_BUCKET_PREFIX may not be empty: old uploads under it are deleted, so it must set them apart from the rest of the bucket.',
      { hint: 'Leave it unset for the default "qwen-asr-mcp/", or name a folder of its own.' },
    );
  }
  if (value.length > 200 || !/^[A-Za-z0-9!_.*'()/-]+$/.test(value) || value.split('/').includes('..')) {
    throw new ConfigurationError(
      `ASR_BUCKET_PREFIX "${value.slice(0, 80)}" may hold letters, digits, / and the characters !_.*'()- only (at most 200).`,
    );
  }
  return value.endsWith('/') ? value : `${value}/`;
}

function ttlSetting(env: Env): number {
  const value = text(env, 'ASR_BUCKET_URL_TTL_S');
  if (!value) return 86_400;
  const n = Number(value);
  if (!Number.isInteger(n) || n < MIN_TTL_S || n > MAX_TTL_S) {
    throw new ConfigurationError(
      `ASR_BUCKET_URL_TTL_S must be a whole number of seconds from ${MIN_TTL_S} to ${MAX_TTL_S} (7 days, the longest a presigned URL may live), got "${value.slice(0, 40)}".`,
    );
  }
  return n;
}

function boolSetting(env: Env, name: string, fallback: boolean): boolean {
  const value = text(env, name)?.toLowerCase();
  if (!value) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw new ConfigurationError(`${name} must be true or false, got "${value.slice(0, 40)}".`);
}

/** OSS_* first, then AWS_*; each pair must be complete. The secrets are masked from here on. */
function credentials(
  env: Env,
): Pick<BucketConfig, 'accessKeyId' | 'secretAccessKey' | 'sessionToken' | 'credentialVars'> {
  for (const [id, secret, token] of [
    ['OSS_ACCESS_KEY_ID', 'OSS_ACCESS_KEY_SECRET', 'OSS_SESSION_TOKEN'],
    ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'],
  ] as const) {
    const idValue = text(env, id);
    const secretValue = text(env, secret);
    if (!idValue && !secretValue) continue;
    if (!idValue || !secretValue) {
      throw new ConfigurationError(`${idValue ? secret : id} is not set, but ${idValue ? id : secret} is.`, {
        hint: `Set both ${id} and ${secret} for ASR_BUCKET.`,
      });
    }
    const tokenValue = text(env, token);
    registerSecret(secretValue);
    if (tokenValue) registerSecret(tokenValue);
    return {
      accessKeyId: idValue,
      secretAccessKey: secretValue,
      sessionToken: tokenValue,
      credentialVars: `${id} / ${secret}${tokenValue ? ` / ${token}` : ''}`,
    };
  }
  throw new ConfigurationError('ASR_BUCKET is set, but no credentials for it are.', {
    hint: 'Set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET (Alibaba Cloud OSS), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (any S3-compatible store); add OSS_SESSION_TOKEN / AWS_SESSION_TOKEN for temporary (STS) credentials.',
  });
}
