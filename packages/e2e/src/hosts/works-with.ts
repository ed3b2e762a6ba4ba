import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * docs/works-with.md: one section per host, written by that host's e2e test from what it saw.
 * A run whose results differ from the committed page rewrites the section and fails, so the page
 * never claims what the suite did not see: commit the rewritten page (and review its diff). A test
 * records its section only when every row ran: a machine without Chromium skips the browser rows
 * and leaves the page as it is.
 */

export const WORKS_WITH_PAGE = fileURLToPath(new URL('../../../../docs/works-with.md', import.meta.url));

export interface WorksWithRow {
  configuration: string;
  result: string;
}

export interface WorksWithSection {
  /** Marker id, e.g. `claude-code`. */
  id: string;
  host: string;
  /** The pinned package the test ran, e.g. `@anthropic-ai/claude-code`. */
  packageName: string;
  /** The test file that writes the section. */
  test: string;
  rows: WorksWithRow[];
}

/** The installed (pinned) version of an e2e devDependency. */
export function installedVersion(packageName: string): string {
  const require = createRequire(import.meta.url);
  return (JSON.parse(readFileSync(require.resolve(`${packageName}/package.json`), 'utf8')) as { version: string }).version;
}

export function renderSection(section: WorksWithSection, version: string): string {
  const lines = [
    `<!-- ${section.id}: written by packages/e2e/test/${section.test} -->`,
    `### ${section.host} ${version}`,
    '',
    `\`${section.packageName}@${version}\`, run by \`packages/e2e/test/${section.test}\`:`,
    '',
    '| configuration | result |',
    '| --- | --- |',
    ...section.rows.map((row) => `| ${row.configuration} | ${row.result} |`),
    `<!-- /${section.id} -->`,
  ];
  return lines.join('\n');
}

/**
 * Puts the section into the page (in place of the previous one, else at the end). Throws when the
 * page changed, after writing it, so that a stale committed page fails the run that finds it.
 */
export function recordWorksWith(section: WorksWithSection): void {
  const page = readFileSync(WORKS_WITH_PAGE, 'utf8');
  const rendered = renderSection(section, installedVersion(section.packageName));
  const pattern = new RegExp(`<!-- ${section.id}: [^>]*-->[\\s\\S]*?<!-- /${section.id} -->`);
  const next = pattern.test(page) ? page.replace(pattern, () => rendered) : `${page.trimEnd()}\n\n${rendered}\n`;
  if (next === page) return;
  writeFileSync(WORKS_WITH_PAGE, next);
  throw new Error(`docs/works-with.md did not match what the ${section.host} tests saw; the section "${section.id}" was rewritten: review and commit it.`);
}
