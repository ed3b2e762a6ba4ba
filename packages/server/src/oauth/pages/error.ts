import { html, layout } from './layout.js';

export interface ErrorView {
  title: string;
  message: string;
  /** The OAuth error code, shown small for support requests. */
  code?: string;
}

export function errorPage(view: ErrorView): string {
  return layout(
    view.title,
    html`<h1>${view.title}</h1>
<p class="sub">${view.message}</p>
${view.code ? html`<p class="who">Error code: <code>${view.code}</code></p>` : ''}`,
    html`You can close this window and connect again from your MCP client.`,
  );
}
