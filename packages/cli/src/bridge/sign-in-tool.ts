import type { ListedTool } from './policy.js';
import type { SignInStart } from './sign-in-flow.js';

/** The one tool the bridge serves itself, while Conduit's own tools cannot be reached. */
export const SIGN_IN_TOOL = 'conduit_sign_in';

/** Why the bridge cannot reach Conduit's tools, as the user will read it. */
export type AccessProblem =
  /** Nothing stored for this server. */
  | { kind: 'not_signed_in' }
  /** A stored credential stopped working (refresh refused, grant revoked, API token rejected). */
  | { kind: 'ended'; reason: string }
  /** CONDUIT_API_TOKEN or --header was rejected: the bridge cannot replace it. */
  | { kind: 'fixed'; reason: string; hint: string };

/** A write refused with insufficient_scope: the sign-in offered for more access. */
export interface ScopeOffer {
  tool: string;
  /** The scope the server asked for. */
  required: string | undefined;
  /** What the stored credential was granted (OAuth), when known. */
  granted: string | undefined;
  credential: 'oauth' | 'api_token';
}

const ANNOTATIONS = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true };

export function signInTool(purpose: 'sign_in' | 'scope' | 'fixed'): ListedTool {
  const description = {
    sign_in:
      "Sign in to Conduit so that its tools (contacts, conversations, tickets, messages…) become available here. Returns the sign-in link and what to do, and opens the sign-in page in the browser where it can. Conduit's tools appear by themselves once the sign-in is complete; nothing needs restarting.",
    scope:
      'Sign in to Conduit again to allow writes (sending messages, changing data): the current sign-in allows reading only. Returns the sign-in link, where the user approves "Send messages and change data". Write tools then work; a refused call is not repeated by itself.',
    fixed: "Conduit refused the token this server was configured with. Call this for what happened and how to restore access.",
  }[purpose];
  return {
    name: SIGN_IN_TOOL,
    title: purpose === 'scope' ? 'Allow writes in Conduit' : 'Sign in to Conduit',
    description,
    inputSchema: { type: 'object', properties: {} },
    annotations: { title: purpose === 'scope' ? 'Allow writes in Conduit' : 'Sign in to Conduit', ...ANNOTATIONS },
  };
}

/** One sentence on what went wrong, for messages. */
export function describeProblem(problem: AccessProblem, url: string): string {
  if (problem.kind === 'not_signed_in') return `Not signed in to Conduit (${url}) yet.`;
  if (problem.kind === 'ended') return `The Conduit sign-in for ${url} has ended: ${problem.reason}`;
  return `${problem.reason} ${problem.hint}`;
}

/** The `instructions` of the initialize answer the bridge gives while nobody is signed in. */
export function signedOutInstructions(problem: AccessProblem, url: string, login: string): string {
  if (problem.kind === 'fixed') return `Conduit's tools are unavailable. ${describeProblem(problem, url)}`;
  return (
    `${describeProblem(problem, url)} Call the ${SIGN_IN_TOOL} tool: it gives the sign-in link (a browser window may already be open on it). ` +
    `Conduit's tools appear here as soon as the sign-in is complete, with no restart. Or run \`${login}\` in a terminal.`
  );
}

/** What a tool call gets while signed out (the call was not sent). */
export function signedOutCallText(problem: AccessProblem, url: string, login: string, tool: string): string {
  if (problem.kind === 'fixed') return `${describeProblem(problem, url)} ${tool} was not sent to the server.`;
  return `${describeProblem(problem, url)} ${tool} was not sent to the server. Call ${SIGN_IN_TOOL} to sign in (or run \`${login}\` in a terminal), then call ${tool} again.`;
}

/** The tool result of a write refused for lack of scope. */
export function scopeRefusedText(offer: ScopeOffer | undefined, fixed: string | undefined, tool: string, login: string): string {
  const head = `The server refused ${tool}: `;
  const tail = `${tool} did not run, and the bridge does not send it again by itself.`;
  if (fixed !== undefined) return `${head}the credential given with ${fixed} allows reading only. ${tail} Use a read_write API token there to allow writes.`;
  if (offer?.credential === 'api_token') {
    return (
      `${head}the stored API token allows reading only. ${tail} To allow writes, call ${SIGN_IN_TOOL} to sign in with your Conduit account ` +
      `(approve "Send messages and change data"), or store a read_write API token with \`${login} --token-stdin\`; then call ${tool} again.`
    );
  }
  const detail = offer?.granted ? ` (granted: ${offer.granted}${offer.required ? `; needed: ${offer.required}` : ''})` : '';
  return (
    `${head}this sign-in allows reading only${detail}. ${tail} ` +
    `To allow writes, call ${SIGN_IN_TOOL}: it opens the Conduit sign-in page again, where you approve "Send messages and change data". Then call ${tool} again.`
  );
}

export interface SignInAnswer {
  text: string;
  isError: boolean;
}

/** The result of conduit_sign_in, for each way the sign-in can start. */
export function signInAnswer(start: SignInStart, url: string, login: string, scope: boolean): SignInAnswer {
  const consent = scope ? ' On the consent page, keep "Send messages and change data" ticked: that is what allows writes.' : '';
  const after = `Sign in, choose the workspaces to share and approve.${consent} Conduit's tools then ${scope ? 'accept writes' : 'appear here by themselves'}; nothing needs restarting.`;
  if (start.error !== undefined) {
    return { isError: true, text: `Could not start the sign-in to ${url}: ${start.error} Run \`${login}\` in a terminal for details, or check the address with \`conduit-mcp doctor --url ${url}\`.` };
  }
  if (start.signedIn) {
    return { isError: false, text: `Another conduit-mcp process just completed a sign-in to ${url}. Conduit's tools ${scope ? 'accept writes' : 'appear here by themselves'} within a few seconds; nothing needs restarting.` };
  }
  if (start.link === undefined) {
    const who = `Another conduit-mcp process${start.pid ? ` (pid ${start.pid})` : ''}`;
    return {
      isError: false,
      text:
        `${who} began signing in to ${url} and has not produced a sign-in page within ${Math.round((start.waitedMs ?? 0) / 1000)} s: it is still contacting the server (the server is slow to answer, or this computer is busy). ` +
        `Call ${SIGN_IN_TOOL} again in a minute: it gives that sign-in's link, or starts a new sign-in if that process has given up. ` +
        `If this keeps happening, run \`${login}\` in a terminal: it waits for that process to finish or give up, then signs you in.`,
    };
  }
  const local = 'The sign-in ends on a local address (127.0.0.1) that only this computer can reach: open the link in a browser on this computer.';
  const elsewhere = `From another machine or over SSH, run \`${login} --no-browser\` in a terminal on this computer instead.`;
  if (start.owner === 'other') {
    return {
      isError: false,
      text: `A sign-in to ${url} is already in progress in another conduit-mcp process${start.pid ? ` (pid ${start.pid})` : ''}. Finish it by opening this link:\n\n${start.link}\n\n${after} ${local}`,
    };
  }
  if (start.opened) {
    return {
      isError: false,
      text: `A browser window with the Conduit sign-in page for ${url} was opened on this computer. ${after}\n\nIf no window appeared, open this link in a browser on this computer:\n\n${start.link}\n\nThe link works for 5 minutes; call ${SIGN_IN_TOOL} again for a new one. ${elsewhere}`,
    };
  }
  return {
    isError: false,
    text: `To sign in to Conduit (${url}), open this link in a browser:\n\n${start.link}\n\n${after} ${local} The link works for 5 minutes; call ${SIGN_IN_TOOL} again for a new one. ${elsewhere}`,
  };
}

/** conduit_sign_in's answer after the host showed the link through URL-mode elicitation. */
export function elicitedAnswer(action: string, link: string, url: string, scope: boolean): SignInAnswer {
  if (action === 'accept') {
    return {
      isError: false,
      text: `The Conduit sign-in page for ${url} is open in the browser. Sign in, choose the workspaces to share and approve${scope ? ', keeping "Send messages and change data" ticked' : ''}. Conduit's tools ${scope ? 'then accept writes' : 'then appear here by themselves'}; nothing needs restarting.`,
    };
  }
  return {
    isError: false,
    text: `The sign-in page was not opened (${action === 'decline' ? 'declined' : 'dismissed'}). Call ${SIGN_IN_TOOL} again when you are ready, or open this link in a browser on this computer:\n\n${link}`,
  };
}

/** The protocol versions the bridge can speak itself (it only ever answers initialize, ping and its tool). */
const LOCAL_PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];

/** The initialize result the bridge gives while signed out: tools that change, and why there is only one. */
export function localInitializeResult(params: Record<string, unknown> | undefined, version: string, instructions: string): Record<string, unknown> {
  const requested = typeof params?.protocolVersion === 'string' ? params.protocolVersion : '';
  return {
    protocolVersion: LOCAL_PROTOCOL_VERSIONS.includes(requested) ? requested : '2025-06-18',
    capabilities: { tools: { listChanged: true } },
    serverInfo: { name: 'conduit-mcp', title: 'Conduit', version },
    instructions,
  };
}
