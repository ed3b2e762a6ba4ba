import { describe, expect, it } from 'vitest';
import { browserCommands } from '../src/auth/browser.js';
import { authorizationServerMetadataUrls, resourceMatches } from '../src/auth/discovery.js';
import { hasScopes, selectScope, unionScopes } from '../src/auth/scopes.js';
import { canonicalUrl, resolveServerUrl } from '../src/auth/url.js';
import { parseBearerChallenge } from '../src/auth/www-authenticate.js';

describe('WWW-Authenticate parsing', () => {
  it('reads the Bearer challenge parameters, quoted or not', () => {
    expect(parseBearerChallenge('Bearer resource_metadata="https://a.test/.well-known/oauth-protected-resource/v1/mcp"')).toEqual({
      resourceMetadata: 'https://a.test/.well-known/oauth-protected-resource/v1/mcp',
    });
    expect(parseBearerChallenge('Bearer error="insufficient_scope", scope="mcp:read mcp:write", resource_metadata="https://a.test/m", error_description="need \\"write\\""')).toEqual({
      error: 'insufficient_scope',
      scope: 'mcp:read mcp:write',
      resourceMetadata: 'https://a.test/m',
      errorDescription: 'need "write"',
    });
    expect(parseBearerChallenge('Basic realm="x", Bearer error=invalid_token')).toEqual({ error: 'invalid_token' });
  });

  it('returns null without a Bearer challenge', () => {
    expect(parseBearerChallenge(null)).toBeNull();
    expect(parseBearerChallenge('Basic realm="x"')).toBeNull();
  });
});

describe('discovery helpers', () => {
  it('tries RFC 8414 then OpenID locations in the MCP order', () => {
    expect(authorizationServerMetadataUrls('https://base.conduit.ai/oauth/mcp')).toEqual([
      'https://base.conduit.ai/.well-known/oauth-authorization-server/oauth/mcp',
      'https://base.conduit.ai/.well-known/openid-configuration/oauth/mcp',
      'https://base.conduit.ai/oauth/mcp/.well-known/openid-configuration',
    ]);
    expect(authorizationServerMetadataUrls('https://as.test')).toEqual(['https://as.test/.well-known/oauth-authorization-server', 'https://as.test/.well-known/openid-configuration']);
  });

  it('accepts a resource only on the same origin with a path prefix of the endpoint', () => {
    expect(resourceMatches('https://api.conduit.ai/v1/mcp', 'https://api.conduit.ai/v1/mcp')).toBe(true);
    expect(resourceMatches('https://api.conduit.ai', 'https://api.conduit.ai/v1/mcp')).toBe(true);
    expect(resourceMatches('https://api.conduit.ai/v1', 'https://api.conduit.ai/v1/mcp')).toBe(true);
    expect(resourceMatches('https://api.conduit.ai/v1/mc', 'https://api.conduit.ai/v1/mcp')).toBe(false);
    expect(resourceMatches('https://evil.example.com/v1/mcp', 'https://api.conduit.ai/v1/mcp')).toBe(false);
  });
});

describe('scope selection', () => {
  const as = { issuer: 'https://as.test', scopes_supported: ['mcp:read', 'mcp:write', 'offline_access'] };
  const discovery = { url: 'u', resource: 'u', authorizationServer: 'https://as.test', scopesSupported: ['mcp:read', 'mcp:write'] };

  it('prefers --scope, then the challenge scope, then scopes_supported, adding offline_access when offered', () => {
    expect(selectScope('mcp:read', discovery, as)).toBe('mcp:read offline_access');
    expect(selectScope(undefined, { ...discovery, challenge: { scope: 'mcp:write' } }, as)).toBe('mcp:write offline_access');
    expect(selectScope(undefined, discovery, as)).toBe('mcp:read mcp:write offline_access');
    expect(selectScope(undefined, discovery, { issuer: 'x' })).toBe('mcp:read mcp:write');
  });

  it('omits the scope when nothing names one', () => {
    expect(selectScope(undefined, { url: 'u', resource: 'u', authorizationServer: 'x' }, as)).toBeUndefined();
  });

  it('compares and merges scope sets', () => {
    expect(hasScopes('mcp:read mcp:write', 'mcp:write')).toBe(true);
    expect(hasScopes('mcp:read', 'mcp:read mcp:write')).toBe(false);
    expect(unionScopes('mcp:basic', 'mcp:basic mcp:write')).toBe('mcp:basic mcp:write');
  });
});

describe('server URL', () => {
  it('defaults to CONDUIT_MCP_URL, then the hosted endpoint, in canonical form', () => {
    expect(resolveServerUrl(undefined, {})).toBe('https://api.conduit.ai/v1/mcp');
    expect(resolveServerUrl(undefined, { CONDUIT_MCP_URL: 'HTTP://LOCALHOST:8787/v1/mcp/' })).toBe('http://localhost:8787/v1/mcp');
    expect(resolveServerUrl('https://Api.Conduit.AI/v1/mcp#x', {})).toBe('https://api.conduit.ai/v1/mcp');
  });

  it('refuses plain http except on loopback', () => {
    expect(() => canonicalUrl('http://mcp.example.com/v1/mcp')).toThrow(/plain http/);
    expect(canonicalUrl('http://127.0.0.1:1/v1/mcp')).toBe('http://127.0.0.1:1/v1/mcp');
    expect(canonicalUrl('http://[::1]:1/mcp')).toBe('http://[::1]:1/mcp');
  });
});

describe('browser opener', () => {
  it('honours BROWSER (with %s or the URL appended) before the system opener', () => {
    expect(browserCommands('https://x.test/a', { BROWSER: 'firefox --new-tab:lynx %s' }, 'linux')).toEqual([
      ['firefox', '--new-tab', 'https://x.test/a'],
      ['lynx', 'https://x.test/a'],
      ['xdg-open', 'https://x.test/a'],
    ]);
    expect(browserCommands('u', {}, 'darwin')).toEqual([['open', 'u']]);
  });
});
