import { describe, expect, it } from 'vitest';
import { redactUrl, redactUrlsInText, SENSITIVE_QUERY_PARAMS } from '../../src/util/redact-url.js';

describe('redactUrl', () => {
  it('masks userinfo, with or without a password', () => {
    expect(redactUrl('https://user:pw@host.example/a.wav')).toBe('https://***@host.example/a.wav');
    expect(redactUrl('https://ghp_token@host.example/a.wav')).toBe('https://***@host.example/a.wav');
    expect(redactUrl('http://u:p@ss@host.example:8080/x')).toBe('http://***@host.example:8080/x');
    expect(redactUrl('https://user:pw@host.example')).toBe('https://***@host.example');
  });

  it.each(SENSITIVE_QUERY_PARAMS)('masks the value of %s', (name) => {
    expect(redactUrl(`https://h.example/a.wav?${name}=s3cr3t&v=1`)).toBe(
      `https://h.example/a.wav?${name}=***&v=1`,
    );
  });

  it('matches parameter names case-insensitively and keeps their spelling', () => {
    expect(redactUrl('https://h.example/a?x-AMZ-signature=abc&Sig=def&TOKEN=ghi')).toBe(
      'https://h.example/a?x-AMZ-signature=***&Sig=***&TOKEN=***',
    );
  });

  it('keeps the harmless parts of a presigned URL visible, byte for byte', () => {
    const url =
      'https://bucket.s3.us-east-1.amazonaws.com/my%20dir/a+b.wav?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
      '&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
      '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host' +
      '&X-Amz-Security-Token=FQoGZXIvYXdzE%2B%2F%3D&X-Amz-Signature=aeeed9bb';
    expect(redactUrl(url)).toBe(
      'https://bucket.s3.us-east-1.amazonaws.com/my%20dir/a+b.wav?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
        '&X-Amz-Credential=***&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host' +
        '&X-Amz-Security-Token=***&X-Amz-Signature=***',
    );
  });

  it('masks OSS V1, Azure SAS and GCS signed URLs but keeps expiry and version fields', () => {
    expect(
      redactUrl(
        'https://b.oss-cn-beijing.aliyuncs.com/k.mp3?OSSAccessKeyId=LTAI5t&Expires=1700000000&Signature=a%2Bb%3D',
      ),
    ).toBe('https://b.oss-cn-beijing.aliyuncs.com/k.mp3?OSSAccessKeyId=***&Expires=1700000000&Signature=***');
    expect(
      redactUrl('https://acct.blob.core.windows.net/c/a.wav?sv=2022-11-02&se=2030-01-01&sp=r&sig=AbC%2F%3D'),
    ).toBe('https://acct.blob.core.windows.net/c/a.wav?sv=2022-11-02&se=2030-01-01&sp=r&sig=***');
    expect(
      redactUrl('https://storage.googleapis.com/b/o?GoogleAccessId=sa%40p.iam&Expires=1&Signature=zz'),
    ).toBe('https://storage.googleapis.com/b/o?GoogleAccessId=***&Expires=1&Signature=***');
  });

  it('masks every repeat of a parameter', () => {
    expect(redactUrl('https://h.example/?sig=a&x=1&sig=b&SIG=c')).toBe(
      'https://h.example/?sig=***&x=1&sig=***&SIG=***',
    );
  });

  it('recognises percent-encoded parameter names and masks encoded values whole', () => {
    expect(redactUrl('https://h.example/?X%2DAmz%2DSignature=abc&access%5Ftoken=a%20b%2Fc')).toBe(
      'https://h.example/?X%2DAmz%2DSignature=***&access%5Ftoken=***',
    );
    expect(redactUrl('https://h.example/?%ZZ=1&token=%E0%A4%A')).toBe('https://h.example/?%ZZ=1&token=***');
  });

  it('leaves empty values, valueless names and unrelated parameters alone', () => {
    expect(redactUrl('https://h.example/?token=&sig&keyword=x&monkey=y')).toBe(
      'https://h.example/?token=&sig&keyword=x&monkey=y',
    );
    expect(redactUrl('https://h.example/path/only')).toBe('https://h.example/path/only');
    expect(redactUrl('https://h.example')).toBe('https://h.example');
    expect(redactUrl('https://h.example/?')).toBe('https://h.example/?');
  });

  it('keeps the fragment, masking credential-like pairs inside it', () => {
    expect(redactUrl('https://h.example/a?sig=1#t=30')).toBe('https://h.example/a?sig=***#t=30');
    expect(redactUrl('https://h.example/cb#access_token=abc&state=x')).toBe(
      'https://h.example/cb#access_token=***&state=x',
    );
    expect(redactUrl('https://h.example/a#frag?sig=1')).toBe('https://h.example/a#frag?sig=1');
    expect(redactUrl('https://h.example/a#section-2')).toBe('https://h.example/a#section-2');
  });

  it('handles IPv6 hosts and ports', () => {
    expect(redactUrl('http://u:p@[::1]:9000/b/k?X-Amz-Signature=x')).toBe(
      'http://***@[::1]:9000/b/k?X-Amz-Signature=***',
    );
    expect(redactUrl('http://[2001:db8::1]/a.wav')).toBe('http://[2001:db8::1]/a.wav');
  });

  it('does not mistake an @ in the path, query or fragment for userinfo', () => {
    expect(redactUrl('https://h.example/users/@alice/a.wav')).toBe('https://h.example/users/@alice/a.wav');
    expect(redactUrl('https://h.example/a?mail=a@b.c')).toBe('https://h.example/a?mail=a@b.c');
    expect(redactUrl('https://h.example#x@y')).toBe('https://h.example#x@y');
    expect(redactUrl('https://h.example\\u:p@evil/x')).toBe('https://h.example\\u:p@evil/x');
  });

  it('masks the spellings fetch still accepts: upper case, backslashes, leading space', () => {
    expect(redactUrl('HTTPS://u:p@h.example/a')).toBe('HTTPS://***@h.example/a');
    expect(redactUrl('https:\\\\u:p@h.example\\a?sig=1')).toBe('https:\\\\***@h.example\\a?sig=***');
    expect(redactUrl('  https://u:p@h.example/')).toBe('  https://***@h.example/');
    expect(redactUrl('https:u:p@h.example/')).toBe('https:***@h.example/');
    // The parser drops tabs and newlines anywhere; the surgery cannot see such a scheme, so the
    // parse-based safety net replaces the whole URL.
    expect(redactUrl('ht\ttps://u:p@h.example/a?x=1')).toBe('https://h.example/[redacted]');
  });

  it('returns non-http inputs unchanged', () => {
    for (const s of [
      '/home/me/audio.wav',
      'C:\\Users\\me\\a.wav',
      'oss://bucket/key?sig=1',
      'data:audio/wav;base64,UklGRg==',
      'file:///tmp/a.wav?token=1',
      'ftp://u:p@h/x',
      '',
      'not a url at all',
    ]) {
      expect(redactUrl(s)).toBe(s);
    }
  });

  it('never throws on malformed input', () => {
    for (const s of [
      'https://',
      'https://@',
      'http://[::1',
      'https://%%%/?sig=%',
      'https://h/?&&&=&sig==x',
      '\u0000https://u@h',
    ]) {
      expect(() => redactUrl(s)).not.toThrow();
    }
    expect(redactUrl('https://h/?&&&=&sig==x')).toBe('https://h/?&&&=&sig=***');
    expect(redactUrl('https://@')).toBe('https://***@');
    expect(redactUrl(undefined as unknown as string)).toBeUndefined();
  });
});

describe('redactUrlsInText', () => {
  it('masks every URL in a message and keeps the surrounding text', () => {
    const text =
      'Download of https://u:p@h.example/a.wav?sig=abc failed (see https://h.example/b?token=t). ' +
      'Retried "https://h.example/c?X-Amz-Signature=z", then <https://h.example/d?key=k>.';
    expect(redactUrlsInText(text)).toBe(
      'Download of https://***@h.example/a.wav?sig=*** failed (see https://h.example/b?token=***). ' +
        'Retried "https://h.example/c?X-Amz-Signature=***", then <https://h.example/d?key=***>.',
    );
  });

  it('leaves text without URLs, and non-http schemes, unchanged', () => {
    expect(redactUrlsInText('no links here, token=abc')).toBe('no links here, token=abc');
    expect(redactUrlsInText('oss://b/k?sig=1 and /tmp/a?sig=2')).toBe('oss://b/k?sig=1 and /tmp/a?sig=2');
    expect(redactUrlsInText('')).toBe('');
  });

  it('handles URLs at the start, the end and across lines', () => {
    expect(redactUrlsInText('https://h.example/?sig=1\nhttps://h.example/?sig=2')).toBe(
      'https://h.example/?sig=***\nhttps://h.example/?sig=***',
    );
  });
});
