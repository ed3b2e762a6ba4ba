/**
 * The URL clients reach the server at, behind any proxy. Only an origin: the server answers at
 * the root of it (`/v1/mcp`, `/oauth/mcp`, `/.well-known/…`), and the OAuth metadata, the token
 * audience and the Host/Origin checks are all derived from it. A path prefix
 * (`https://example.com/conduit`) is refused rather than dropped: the server would advertise
 * URLs without it that the proxy does not route, or, the proxy stripping it, the metadata would
 * name URLs clients cannot reach.
 */
export function parsePublicUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error('expected an absolute URL such as https://mcp.example.com');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`expected an http:// or https:// URL, not ${url.protocol}`);
  if (url.username || url.password) throw new Error('expected a URL without a user name or password');
  if (url.search || url.hash) throw new Error('expected a URL without a query or fragment, e.g. https://mcp.example.com');
  if (url.pathname !== '/') {
    if (/\/v1\/mcp\/?$/.test(url.pathname)) throw new Error(`expected the server's origin, ${url.origin}, without /v1/mcp (the server adds it)`);
    throw new Error(
      `has a path (${url.pathname}): the server answers at the root of its origin (/v1/mcp, /oauth/mcp, /.well-known/…), so a path prefix is not supported; give it a host name of its own, e.g. https://mcp.example.com`,
    );
  }
  return new URL(url.origin);
}
