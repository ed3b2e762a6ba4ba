import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/**
 * The shared frame of the sign-in, consent and error pages: server-rendered HTML with the CSS
 * inline, no JavaScript, and headers that forbid framing and any script.
 */

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** Marks a string as already-safe HTML, so templates can nest without double escaping. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Tagged template that escapes every interpolated value unless it is Html (or an array of Html). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

const CSS = `
:root{color-scheme:light;--ink:#0f172a;--muted:#5b6476;--line:#e3e7ef;--brand:#4f46e5;--brand-dark:#4338ca;--bg:#f5f6fb;--danger:#b42318;--danger-bg:#fef3f2;--ok:#067647}
*{box-sizing:border-box}
body{margin:0;min-height:100vh;display:flex;flex-direction:column;align-items:center;justify-content:center;padding:32px 16px;
font:15px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);
background:radial-gradient(1200px 600px at 50% -10%,#e6e8ff 0,var(--bg) 60%)}
.brand{display:flex;align-items:center;gap:10px;font-weight:650;font-size:18px;letter-spacing:-.01em;margin-bottom:20px}
.mark{width:30px;height:30px;border-radius:8px;background:linear-gradient(135deg,#6366f1,#4338ca);display:grid;place-items:center;color:#fff;font-size:16px;font-weight:700}
.card{width:100%;max-width:440px;background:#fff;border:1px solid var(--line);border-radius:14px;box-shadow:0 10px 30px rgba(15,23,42,.07);padding:28px}
h1{font-size:21px;line-height:1.3;margin:0 0 6px;letter-spacing:-.01em}
.sub{color:var(--muted);margin:0 0 22px}
label.field{display:block;font-weight:600;font-size:13px;margin:0 0 6px}
input[type=email],input[type=password]{width:100%;height:42px;padding:0 12px;font:inherit;border:1px solid #cfd5e1;border-radius:8px;margin-bottom:16px;background:#fff}
input:focus{outline:2px solid #c7d2fe;border-color:var(--brand)}
.btn{display:block;width:100%;height:42px;border-radius:8px;border:1px solid transparent;font:inherit;font-weight:600;cursor:pointer}
.btn-primary{background:var(--brand);color:#fff}.btn-primary:hover{background:var(--brand-dark)}
.btn-secondary{background:#fff;color:var(--ink);border-color:#cfd5e1;margin-top:10px}.btn-secondary:hover{background:#f8f9fc}
.alert{background:var(--danger-bg);color:var(--danger);border:1px solid #fecdca;border-radius:8px;padding:10px 12px;margin:0 0 18px;font-size:14px}
.section{border-top:1px solid var(--line);padding-top:16px;margin-top:16px}
.section h2{font-size:13px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin:0 0 10px}
.option{display:flex;gap:10px;align-items:flex-start;padding:10px 12px;border:1px solid var(--line);border-radius:8px;margin-bottom:8px}
.option input{margin-top:4px;accent-color:var(--brand)}
.option small{display:block;color:var(--muted)}
.perm{display:flex;gap:10px;align-items:flex-start;margin-bottom:10px}
.perm .tick{color:var(--ok);font-weight:700;width:16px;flex:none}
.client{display:flex;gap:12px;align-items:center;padding:12px;background:#f8f9fc;border:1px solid var(--line);border-radius:10px;margin-bottom:6px}
.client .avatar{width:36px;height:36px;border-radius:9px;background:#eef0ff;color:var(--brand-dark);display:grid;place-items:center;font-weight:700;flex:none}
.client small{display:block;color:var(--muted);word-break:break-all}
.who{font-size:13px;color:var(--muted);margin-top:18px;text-align:center}
.actions{margin-top:20px}
code{font:13px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f1f3f9;padding:1px 5px;border-radius:4px}
footer{margin-top:18px;font-size:12px;color:var(--muted);text-align:center;max-width:440px}
`.trim();

const CSS_HASH = createHash('sha256').update(CSS).digest('base64');

/**
 * The page's Content-Security-Policy: no script at all, styles only from the inline sheet, never
 * inside a frame, and forms that post only to this server. `formTargets` adds where a form's
 * submission may end up after redirects: browsers apply form-action to the whole redirect chain,
 * and the sign-in and consent forms end, through this server, at the client's redirect URI.
 */
export function pageCsp(formTargets: readonly string[] = []): string {
  return `default-src 'none'; style-src 'sha256-${CSS_HASH}'; img-src 'self' data:; base-uri 'none'; form-action ${["'self'", ...formTargets].join(' ')}; frame-ancestors 'none'`;
}

export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': pageCsp(),
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
};

export function layout(title: string, body: Html, footer?: Html): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${title} · Conduit</title>
<style>${new Html(CSS)}</style>
</head>
<body>
<div class="brand"><span class="mark" aria-hidden="true">C</span>Conduit</div>
<main class="card">
${body}
</main>
${footer ? html`<footer>${footer}</footer>` : ''}
</body>
</html>`.value;
}

export function sendPage(res: ServerResponse, status: number, page: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...PAGE_HEADERS, 'content-length': Buffer.byteLength(page), ...headers });
  res.end(page);
}
