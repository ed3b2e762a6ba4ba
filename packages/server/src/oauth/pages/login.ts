import { html, layout } from './layout.js';

export interface LoginView {
  /** Where the form posts. */
  action: string;
  csrf: string;
  clientName: string;
  email?: string;
  error?: string;
}

export function loginPage(view: LoginView): string {
  return layout(
    'Sign in',
    html`<h1>Sign in to Conduit</h1>
<p class="sub">to connect <strong>${view.clientName}</strong> to your workspaces</p>
${view.error ? html`<p class="alert" role="alert">${view.error}</p>` : ''}
<form method="post" action="${view.action}">
<input type="hidden" name="csrf" value="${view.csrf}">
<label class="field" for="email">Email</label>
<input id="email" type="email" name="email" autocomplete="username" required autofocus value="${view.email ?? ''}">
<label class="field" for="password">Password</label>
<input id="password" type="password" name="password" autocomplete="current-password" required>
<button class="btn btn-primary" type="submit">Sign in</button>
</form>`,
    html`No account? Ask your Conduit administrator to run <code>conduit-mcp-server users create</code>.`,
  );
}
