/**
 * The message for a word that is not a command (`conduit-mcp logn`): without a command the program
 * is the stdio bridge, which takes no arguments, so a stray word can only be a mistyped command.
 */
export function unknownCommandMessage(word: string, commands: readonly string[]): string {
  const suggestions = closest(word, commands);
  const guess = suggestions.length ? ` Did you mean ${suggestions.join(' or ')}?` : '';
  return (
    `unknown command '${word}'.${guess}\n` +
    `Commands: ${commands.join(', ')} (\`conduit-mcp --help\` describes them). Without a command, conduit-mcp runs the stdio bridge that MCP clients start.`
  );
}

/** The commands nearest to `word` by edit distance (a swap of neighbours counts as one), if near enough. */
function closest(word: string, commands: readonly string[]): string[] {
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best = limit + 1;
  let found: string[] = [];
  for (const command of commands) {
    const distance = editDistance(word.toLowerCase(), command);
    if (distance < best) [best, found] = [distance, [command]];
    else if (distance === best) found.push(command);
  }
  return found;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = value;
    }
  }
  return rows[a.length]![b.length]!;
}
