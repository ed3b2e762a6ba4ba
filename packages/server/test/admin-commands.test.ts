import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrationStatus, openStore } from '../src/store/open.js';
import { WORKSPACE_ROLES } from '../src/store/schema.js';
import { runCommand } from './command-helpers.js';
import { createTestStore, createWorkspace, type TestStore } from './helpers.js';
import { TEST_DATABASE_URL, createEmptyDatabase } from './test-database.js';

const READ_ONLY_COMMANDS = [['workspaces', 'list'], ['users', 'list'], ['tokens', 'list'], ['oauth', 'grants'], ['members', 'list', '--workspace', 'acme']];

describe('admin commands: which database', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'conduit-admin-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe.skipIf(TEST_DATABASE_URL)('SQLite', () => {
    it('read-only commands never create a database: pointed at an empty directory they fail and say where they looked', async () => {
      const dataDir = join(dir, 'empty', 'data');
      for (const command of READ_ONLY_COMMANDS) {
        const result = await runCommand([...command, '--data-dir', dataDir]);
        expect(result.code, command.join(' ')).toBe(1);
        expect(result.err).toBe(
          `error: no database at ${join(dataDir, 'conduit.db')}: point the command at the server's database with --data-dir <dir> or --database <url> (env CONDUIT_DATA_DIR / DATABASE_URL), or create one with \`conduit-mcp-server migrate\` (or \`serve\`)\n`,
        );
        expect(result.out).toBe('');
      }
      // Commands that change what is in a database need one too.
      for (const command of [['tokens', 'revoke', 'tok_x'], ['users', 'delete', '--email', 'a@example.com'], ['oauth', 'revoke', '--user', 'a@example.com']]) {
        expect((await runCommand([...command, '--data-dir', dataDir])).err, command.join(' ')).toMatch(/^error: no database at /);
      }
      expect(existsSync(join(dir, 'empty'))).toBe(false);
    });

    it('the default data directory comes from CONDUIT_DATA_DIR, and the message names it', async () => {
      const result = await runCommand(['workspaces', 'list'], { env: { CONDUIT_DATA_DIR: join(dir, 'from-env') } });
      expect(result.err).toContain(`no database at ${join(dir, 'from-env', 'conduit.db')}`);
    });

    it('commands that set a database up create it and say so; the others then name it on stderr', async () => {
      const dataDir = join(dir, 'new');
      const created = await runCommand(['workspaces', 'create', '--slug', 'acme', '--name', 'Acme', '--data-dir', dataDir]);
      expect(created.code).toBe(0);
      expect(created.err).toBe(`database: ${join(dataDir, 'conduit.db')} (new)\n`);
      expect(created.out).toMatch(/^wp_\w+\n$/);
      const listed = await runCommand(['workspaces', 'list', '--data-dir', dataDir]);
      expect(listed.err).toBe(`database: ${join(dataDir, 'conduit.db')}\n`);
      expect(listed.out).toMatch(/^wp_\w+ {2}acme {2}"Acme"\n$/);
      const migrated = await runCommand(['migrate', '--data-dir', dataDir]);
      expect(migrated).toEqual({ code: 0, err: `database: ${join(dataDir, 'conduit.db')}\n`, out: 'Database is up to date.\n' });
    });
  });

  describe.runIf(TEST_DATABASE_URL)('PostgreSQL', () => {
    it('read-only commands on an empty database fail without creating tables; migrate then sets it up', async () => {
      const database = await createEmptyDatabase(TEST_DATABASE_URL!);
      try {
        for (const command of READ_ONLY_COMMANDS) {
          const result = await runCommand([...command, '--database', database.url]);
          expect(result.code, command.join(' ')).toBe(1);
          expect(result.err).toMatch(/^error: no database at postgres(ql)?:\/\/.* \(it has no tables yet\): point the command at the server's database/);
        }
        const store = await openStore({ database: database.url, migrate: false });
        try {
          expect((await migrationStatus(store)).applied).toEqual([]);
        } finally {
          await store.close();
        }
        const migrated = await runCommand(['migrate', '--database', database.url]);
        expect(migrated.code).toBe(0);
        expect(migrated.err).toMatch(/^database: postgres(ql)?:\/\/\S+ \(new\)\n$/);
        expect(migrated.out).toMatch(/^Applied: 0001_initial, /);
        expect((await runCommand(['workspaces', 'list', '--database', database.url])).out).toBe('No workspaces. Create one with `workspaces create` or `seed --demo`.\n');
      } finally {
        await database.drop();
      }
    });
  });

  it('refuses a database URL of an unsupported scheme instead of using SQLite (migrate exited 0 on it)', async () => {
    for (const url of ['postgress://conduit:s3cret@db/conduit', 'mysql://root:s3cret@db/conduit']) {
      const scheme = url.split(':')[0];
      const result = await runCommand(['migrate'], { env: { DATABASE_URL: url, CONDUIT_DATA_DIR: join(dir, 'never') } });
      expect(result.code).toBe(1);
      expect(result.err).toBe(`error: invalid DATABASE_URL "${scheme}://***@db/conduit": unsupported scheme "${scheme}:"; expected postgres://…, postgresql://… or sqlite:<file>\n`);
    }
    expect(existsSync(join(dir, 'never'))).toBe(false);
    expect(existsSync('.conduit-data')).toBe(false);
  });
});

describe('admin commands: users and workspaces', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await createTestStore();
    await createWorkspace(t.store, 'acme');
  });
  afterAll(async () => t.cleanup());

  it('users create without --workspace says the option is required (it was an SQL syntax error)', async () => {
    const result = await runCommand(['users', 'create', '--email', 'ana@example.com', ...t.databaseArgs]);
    expect(result).toEqual({ code: 1, out: '', err: "error: required option '--workspace <slug-or-id>' not specified\n" });
    expect(await t.store.db.selectFrom('users').selectAll().execute()).toEqual([]);
  });

  it('tokens create without --workspace says the option is required', async () => {
    const result = await runCommand(['tokens', 'create', ...t.databaseArgs]);
    expect(result.err).toBe("error: required option '--workspace <slug-or-id>' not specified\n");
  });

  it('creates a user once, and points at members add / users reset-password for the second time', async () => {
    const created = await runCommand(['users', 'create', '--email', 'Ana@Example.com', '--workspace', 'acme', '--role', 'admin', ...t.databaseArgs]);
    expect(created.code).toBe(0);
    expect(created.out).toMatch(/^Password \(shown once\): \S{12,}\n$/);
    expect(created.err).toMatch(/Created user us_\w+ \(ana@example\.com\) in acme as admin\.\n$/);
    const again = await runCommand(['users', 'create', '--email', 'ana@example.com', '--workspace', 'acme', ...t.databaseArgs]);
    expect(again.err).toMatch(/^database: .*\nerror: a user with email ana@example\.com already exists \(us_\w+\); add them to a workspace with `members add`, or give them a new password with `users reset-password`\n$/);
  });

  it('takes the roles from one list and names them when a role is wrong', async () => {
    const result = await runCommand(['users', 'create', '--email', 'bo@example.com', '--workspace', 'acme', '--role', 'boss', ...t.databaseArgs]);
    expect(result.code).toBe(1);
    expect(result.err).toBe(`error: option '--role <role>' argument 'boss' is invalid. Allowed choices are ${WORKSPACE_ROLES.join(', ')}.\n`);
    expect(WORKSPACE_ROLES).toContain('viewer');
  });

  it('validates the workspace slug and name', async () => {
    expect((await runCommand(['workspaces', 'create', '--slug', 'Bad Slug', '--name', 'x', ...t.databaseArgs])).err).toBe(
      'error: invalid --slug "Bad Slug": use lower-case letters, digits and dashes\n',
    );
    expect((await runCommand(['workspaces', 'create', '--slug', 'ok', '--name', ' ', ...t.databaseArgs])).err).toBe('error: invalid --name: give the workspace a display name\n');
  });
});

afterEach(() => {
  // No command may fall back to the default data directory of the test process.
  expect(existsSync('.conduit-data')).toBe(false);
});
