import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { MigrationList } from '@prisma/schema-engine-wasm';

// Reads and writes `prisma/migrations` in the layout the Prisma CLI uses, so `prisma migrate` on a machine
// with the native engine sees the same history: one `<timestamp>_<name>/migration.sql` per migration and a
// `migration_lock.toml` naming the provider.

export const migrationFileName = 'migration.sql';
export const lockfileName = 'migration_lock.toml';

export const lockfileContent =
  '# Written by the migration tool; keep it in version control.\nprovider = "postgresql"\n';

async function readOptional(filePath: string): Promise<string | null> {
  try {
    return await readFile(filePath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Loads every migration directory under `migrationsDir`, in name order, as the engine's migration list. */
export async function readMigrationsFolder(migrationsDir: string): Promise<MigrationList> {
  const baseDir = path.resolve(migrationsDir);
  const entries = await readdir(baseDir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  const directoryNames = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();

  const migrationDirectories = await Promise.all(
    directoryNames.map(async (name) => {
      const sql = await readOptional(path.join(baseDir, name, migrationFileName));
      const content =
        sql === null
          ? { tag: 'error' as const, value: `${migrationFileName} is missing in ${name}` }
          : { tag: 'ok' as const, value: sql };

      return { path: name, migrationFile: { path: migrationFileName, content } };
    }),
  );

  return {
    baseDir,
    lockfile: { path: lockfileName, content: await readOptional(path.join(baseDir, lockfileName)) },
    shadowDbInitScript: '',
    migrationDirectories,
  };
}

/** Returns the UTC timestamp prefix Prisma uses for migration directories: yyyymmddhhmmss. */
export function migrationTimestamp(now: Date = new Date()): string {
  return now.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** Writes a new migration directory, and the lockfile if the folder has none yet. Returns the directory path. */
export async function writeMigration(migrationsDir: string, directoryName: string, sql: string): Promise<string> {
  const directory = path.join(path.resolve(migrationsDir), directoryName);
  await mkdir(directory, { recursive: true });
  await writeFile(path.join(directory, migrationFileName), sql, { flag: 'wx' });

  const lockfilePath = path.join(path.resolve(migrationsDir), lockfileName);
  if ((await readOptional(lockfilePath)) === null) {
    await writeFile(lockfilePath, lockfileContent);
  }

  return directory;
}
