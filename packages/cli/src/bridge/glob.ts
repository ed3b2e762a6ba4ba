/** Tool-name globs for --tools / --exclude-tools: `*` matches any run of characters, `?` one. */
export function globToRegExp(glob: string): RegExp {
  const body = glob
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

/** A name filter: allowed when it matches an include glob (or there are none) and no exclude glob. */
export function toolNameFilter(include: readonly string[], exclude: readonly string[]): (name: string) => boolean {
  const inc = include.map(globToRegExp);
  const exc = exclude.map(globToRegExp);
  return (name) => (inc.length === 0 || inc.some((re) => re.test(name))) && !exc.some((re) => re.test(name));
}
