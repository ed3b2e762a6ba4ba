import { BRIDGE_OPTIONS } from './command.js';

const optionName = (flags: string) => flags.split(' ')[0]!;
const FLAGS = new Set(BRIDGE_OPTIONS.filter((o) => !o.flags.includes('<')).map((o) => optionName(o.flags)));
const SINGLE = new Set(BRIDGE_OPTIONS.filter((o) => o.flags.includes('<') && !o.flags.includes('...')).map((o) => optionName(o.flags)));
const VARIADIC = new Set(BRIDGE_OPTIONS.filter((o) => o.flags.includes('...')).map((o) => optionName(o.flags)));

/**
 * True when these arguments can only mean "run the bridge": nothing but bridge options and their
 * values. Anything else (a command name, --help, --version, an unknown option, a stray word) goes
 * to the full program, which also runs the bridge when that is what was asked, just with more to
 * load. Erring towards the full program is always correct; this only decides what is fast.
 */
export function isBridgeInvocation(argv: readonly string[]): boolean {
  let inVariadic = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) {
      if (!inVariadic) return false;
      continue;
    }
    inVariadic = false;
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), true] : [arg, false];
    if (FLAGS.has(name) && !inline) continue;
    if (SINGLE.has(name)) {
      if (!inline) i += 1;
      continue;
    }
    if (VARIADIC.has(name)) {
      inVariadic = !inline;
      continue;
    }
    return false;
  }
  return true;
}
