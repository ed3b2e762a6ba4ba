import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

/** The files of a SQLite database in WAL mode: the database, its write-ahead log and its shared-memory index. */
function databaseFiles(file: string): string[] {
  return [file, `${file}-wal`, `${file}-shm`];
}

/**
 * The database holds every customer record and the server's keys, and its bucket file the
 * addresses of recent clients: their files are the server's alone (0600), whatever the umask,
 * also in a directory that already existed and for files an earlier version created 0644. A new
 * directory is created 0700. SQLite creates the -wal and -shm files with the main file's mode
 * (and sets it whatever the umask), so making that file private before opening it covers the
 * files still to come.
 */
export function makePrivate(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
  for (const path of databaseFiles(file)) {
    try {
      chmodSync(path, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new Error(`cannot make ${path} private (chmod 600): ${(error as Error).message}; the server's user must own its database files`, { cause: error });
    }
  }
}
