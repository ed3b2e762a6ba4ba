import { html, layout } from './layout.js';

export interface ErrorView {
  title: string;
  message: string;
  /** The technical reason, shown small under the message. */
  detail?: string;
  /** The OAuth error code, shown small for support requests. */
  code?: string;
}

export function errorPage(view: ErrorView): string {
  return layout(
    view.title,
    html`<h1>${view.title}</h1>
<p class="sub">${view.message}</p>
${view.detail ? html`<p class="who">${view.detail}</p>` : ''}
${view.code ? html`<p class="who">Error code: <code>${view.code}</code></p>` : ''}`,
    html`You can close this window and connect again from your MCP client.`,
  );
}
