import { isBridgeInvocation } from './bridge/argv.js';

/**
 * The `conduit-mcp` bin. MCP hosts start the bridge (no command, only bridge options) every time
 * they launch, so that path loads only the bridge: the full program (src/program.ts, with login,
 * status, doctor…) pulls in zod, openid-client and the MCP SDK, which measured ≈ 160 ms of extra
 * start-up and ≈ 20 MB of RSS. Anything that is not plainly a bridge invocation goes to the full
 * program, which runs the bridge as its default action too.
 */
if (isBridgeInvocation(process.argv.slice(2))) await import('./bridge/main.js');
else await import('./program.js');
