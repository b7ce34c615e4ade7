/** `--http` settings (issue #13, finding 7): host arguments and the connection cap. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { parseHttpArgs } from '../../src/mcp/serve-http.js';

describe('--host', () => {
  it('takes names, IPv4, and IPv6 with or without brackets (listened on without them)', () => {
    expect(parseHttpArgs(['--host', '[::1]'])).toEqual({ port: 8765, host: '::1' });
    expect(parseHttpArgs(['--host', '::1', '--port', '0'])).toEqual({ port: 0, host: '::1' });
    expect(parseHttpArgs(['--host', '[2001:db8::5]'])).toEqual({ port: 8765, host: '2001:db8::5' });
    expect(parseHttpArgs(['--host', 'localhost'])).toEqual({ port: 8765, host: 'localhost' });
    expect(parseHttpArgs(['--host', '0.0.0.0'])).toEqual({ port: 8765, host: '0.0.0.0' });
  });

  it('refuses brackets around something that is not an IPv6 address, and an empty host', () => {
    expect(parseHttpArgs(['--host', '[localhost]'])).toMatch(/--host must be a host name or an IP address/);
    expect(parseHttpArgs(['--host', '[]'])).toMatch(/--host must be/);
    expect(parseHttpArgs(['--host', ' '])).toMatch(/--host must be/);
  });
});

describe('ASR_HTTP_MAX_CONNECTIONS', () => {
  const load = (env: Record<string, string>) => loadConfig(env, { home: '/nowhere', cwd: '/nowhere' });
  it('defaults to 256 and takes 1 to 65536', () => {
    expect(load({}).httpMaxConnections).toBe(256);
    expect(load({ ASR_HTTP_MAX_CONNECTIONS: '20' }).httpMaxConnections).toBe(20);
    expect(() => load({ ASR_HTTP_MAX_CONNECTIONS: '0' })).toThrow(
      /ASR_HTTP_MAX_CONNECTIONS must be a number from 1/,
    );
    expect(() => load({ ASR_HTTP_MAX_CONNECTIONS: 'lots' })).toThrow(/ASR_HTTP_MAX_CONNECTIONS/);
  });
});
