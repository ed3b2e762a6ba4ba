import { html, layout } from './layout.js';

export interface ConsentView {
  action: string;
  csrf: string;
  client: { name: string; redirectHost: string; uri?: string };
  user: { email: string; name: string };
  workspaces: Array<{ id: string; slug: string; name: string; checked: boolean; readOnly: boolean }>;
  /** mcp:write was requested and the user's role allows writing in a workspace: a box the user may untick to grant read-only access. */
  writeRequested: boolean;
  writeChecked: boolean;
  /** The client will get a refresh token (it stays connected until revoked). */
  offline: boolean;
  error?: string;
}

export function consentPage(view: ConsentView): string {
  const initial = view.client.name.trim().charAt(0).toUpperCase() || '?';
  const workspaces = view.workspaces.length
    ? view.workspaces.map(
        (w) => html`<label class="option"><input type="checkbox" name="workspace" value="${w.id}"${w.checked ? html` checked` : ''}>
<span><strong>${w.name}</strong><small>${w.slug}${w.readOnly ? ' · your role: read only' : ''}</small></span></label>`,
      )
    : html`<p class="alert">Your account is not a member of any workspace yet, so there is nothing to grant. Ask an administrator to add you to one.</p>`;
  return layout(
    'Authorize access',
    html`<h1>Allow access to Conduit?</h1>
<p class="sub">An application wants to use Conduit's tools on your behalf.</p>
<div class="client"><span class="avatar" aria-hidden="true">${initial}</span>
<span><strong>${view.client.name}</strong><small>will receive access at ${view.client.redirectHost}</small></span></div>
${view.error ? html`<p class="alert" role="alert">${view.error}</p>` : ''}
<form method="post" action="${view.action}">
<input type="hidden" name="csrf" value="${view.csrf}">
<div class="section"><h2>Workspaces to share</h2>${workspaces}</div>
<div class="section"><h2>It will be able to</h2>
<div class="perm"><span class="tick" aria-hidden="true">✓</span><span>Read contacts, conversations, tickets, calls, appointments, reservations and the knowledge base</span></div>
${view.writeRequested
  ? html`<label class="option"><input type="checkbox" name="write" value="on"${view.writeChecked ? html` checked` : ''}>
<span><strong>Send messages and change data</strong><small>Reply to customers, update contacts and tickets, manage agents and skills. Untick to allow reading only.</small></span></label>`
  : ''}
${view.offline ? html`<div class="perm"><span class="tick" aria-hidden="true">✓</span><span>Stay connected until you revoke access</span></div>` : ''}
</div>
<div class="actions">
<button class="btn btn-primary" type="submit" name="decision" value="allow"${view.workspaces.length ? '' : html` disabled`}>Allow access</button>
<button class="btn btn-secondary" type="submit" name="decision" value="deny" formnovalidate>Deny</button>
</div>
</form>
<p class="who">Signed in as <strong>${view.user.email}</strong></p>`,
    html`Only allow applications you trust. You can revoke access later by disconnecting the server in your client.`,
  );
}
