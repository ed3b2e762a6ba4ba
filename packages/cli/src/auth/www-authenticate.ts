/** The parameters of a `Bearer` challenge (RFC 6750 §3, RFC 9728 §5.1). */
export interface BearerChallenge {
  error?: string;
  errorDescription?: string;
  scope?: string;
  resourceMetadata?: string;
}

/**
 * Extracts the Bearer challenge from a WWW-Authenticate header value. Handles several challenges in
 * one header, quoted strings with escapes and token values; anything unparsable is ignored.
 */
export function parseBearerChallenge(header: string | null | undefined): BearerChallenge | null {
  if (!header) return null;
  const params = bearerParams(header);
  if (!params) return null;
  const challenge: BearerChallenge = {};
  if (params.error) challenge.error = params.error;
  if (params.error_description) challenge.errorDescription = params.error_description;
  if (params.scope) challenge.scope = params.scope;
  if (params.resource_metadata) challenge.resourceMetadata = params.resource_metadata;
  return challenge;
}

function bearerParams(header: string): Record<string, string> | null {
  const pattern = /\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)(?:\s+|=\s*("(?:[^"\\]|\\.)*"|[^,\s]+)\s*)?,?/gy;
  let inBearer = false;
  let found: Record<string, string> | null = null;
  let match: RegExpExecArray | null;
  // Walk tokens: a bare token (not followed by "=") starts a new challenge; name=value pairs belong to the current one.
  const tokenized = header.replace(/\s+/g, ' ').trim();
  let index = 0;
  while (index < tokenized.length) {
    pattern.lastIndex = index;
    match = pattern.exec(tokenized);
    if (!match || match[0].length === 0) break;
    index = pattern.lastIndex;
    const [, name, rawValue] = match;
    if (!name) continue;
    if (rawValue === undefined) {
      inBearer = name.toLowerCase() === 'bearer';
      if (inBearer && !found) found = {};
      else if (!inBearer && found) break;
      continue;
    }
    if (!inBearer || !found) continue;
    const value = rawValue.startsWith('"') ? rawValue.slice(1, -1).replace(/\\(.)/g, '$1') : rawValue;
    found[name.toLowerCase()] = value;
  }
  return found;
}
