import { createRequire } from 'node:module';

// Read at run time so the reported version is always the installed package's.
const require = createRequire(import.meta.url);
export const CLI_VERSION: string = (require('../package.json') as { version: string }).version;
