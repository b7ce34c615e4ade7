/**
 * AWS's published S3 Signature Version 4 examples, shared by the client's signer tests
 * (test/unit/sigv4.test.ts) and the fake bucket's own verifier (test/unit/fake-sigv4.test.ts). Sources
 * are listed in test/unit/sigv4.test.ts.
 */
/** SHA-256 of the empty string (the payload hash of a request without a body). */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export const S3_KEYS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
export const S3_NOW = new Date('2013-05-24T00:00:00Z');
const S3_HOST = 'https://examplebucket.s3.amazonaws.com';

export const S3_PRESIGNED_GET = {
  url: `${S3_HOST}/test.txt`,
  expiresS: 86400,
  canonicalRequestHash: '3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04',
  expected:
    'https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
    '&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
    '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host' +
    '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
};

export interface HeaderExample {
  name: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  payloadHash: string;
  signedHeaders: string;
  canonicalRequestHash: string;
  signature: string;
}

export const S3_HEADER_EXAMPLES: HeaderExample[] = [
  {
    name: 'GET Object (first 10 bytes of test.txt)',
    method: 'GET',
    url: `${S3_HOST}/test.txt`,
    headers: { Range: 'bytes=0-9' },
    payloadHash: EMPTY_SHA256,
    signedHeaders: 'host;range;x-amz-content-sha256;x-amz-date',
    canonicalRequestHash: '7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972',
    signature: 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
  },
  {
    name: 'PUT Object (test$file.text, "Welcome to Amazon S3.")',
    method: 'PUT',
    url: `${S3_HOST}/test$file.text`,
    headers: { Date: 'Fri, 24 May 2013 00:00:00 GMT', 'x-amz-storage-class': 'REDUCED_REDUNDANCY' },
    payloadHash: '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072',
    signedHeaders: 'date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class',
    canonicalRequestHash: '9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d',
    signature: '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd',
  },
  {
    name: 'GET Bucket Lifecycle (?lifecycle)',
    method: 'GET',
    url: `${S3_HOST}/?lifecycle`,
    headers: {},
    payloadHash: EMPTY_SHA256,
    signedHeaders: 'host;x-amz-content-sha256;x-amz-date',
    canonicalRequestHash: '9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca',
    signature: 'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543',
  },
  {
    name: 'Get Bucket (List Objects) (?max-keys=2&prefix=J)',
    method: 'GET',
    url: `${S3_HOST}/?max-keys=2&prefix=J`,
    headers: {},
    payloadHash: EMPTY_SHA256,
    signedHeaders: 'host;x-amz-content-sha256;x-amz-date',
    canonicalRequestHash: 'df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7',
    signature: '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7',
  },
];
