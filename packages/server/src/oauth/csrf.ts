import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * CSRF protection for the sign-in and consent forms (double submit, bound to the interaction):
 * the browser holds a random SameSite=Strict cookie, and each form carries
 * HMAC(key, cookie + interaction uid). A cross-site page can neither read the cookie nor the
 * form, so it cannot produce a valid pair. (SameSite cookies and the Origin check in the
 * router are further layers, not the only one.)
 */
export const CSRF_COOKIE = 'conduit_csrf';

export function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

export interface CsrfTokens {
  /** The form token for this browser and interaction, plus the cookie to set if it had none. */
  issue(req: IncomingMessage, uid: string): { token: string; setCookie?: string };
  verify(req: IncomingMessage, uid: string, token: string | null): boolean;
}

export function createCsrfTokens(key: Buffer, options: { path: string; secure: boolean }): CsrfTokens {
  const sign = (cookie: string, uid: string) => createHmac('sha256', key).update(`${cookie}|${uid}`).digest('base64url');
  const valid = (value: string | undefined): value is string => typeof value === 'string' && /^[A-Za-z0-9_-]{43}$/.test(value);
  return {
    issue(req, uid) {
      const existing = readCookie(req, CSRF_COOKIE);
      if (valid(existing)) return { token: sign(existing, uid) };
      const cookie = randomBytes(32).toString('base64url');
      const attributes = [`Path=${options.path}`, 'HttpOnly', 'SameSite=Strict', ...(options.secure ? ['Secure'] : [])];
      return { token: sign(cookie, uid), setCookie: `${CSRF_COOKIE}=${cookie}; ${attributes.join('; ')}` };
    },
    verify(req, uid, token) {
      const cookie = readCookie(req, CSRF_COOKIE);
      if (!valid(cookie) || !token) return false;
      const expected = Buffer.from(sign(cookie, uid));
      const given = Buffer.from(token);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
