import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { PGlite } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';

import { PrismaClient } from './generated/prisma/client';

// The product keeps its data in PostgreSQL when DATABASE_URL is set, and otherwise in PGlite (PostgreSQL
// compiled to WebAssembly) inside a local directory, with the same schema and migrations.

export type Database =
  | { kind: 'postgresql'; prisma: PrismaClient; close(): Promise<void> }
  | { kind: 'pglite'; prisma: PrismaClient; pglite: PGlite; close(): Promise<void> };

/** An embedded PGlite database opened from a data directory, with the directory's owner lock held. */
export type OpenPglite = { pglite: PGlite; dataDir: string; close(): Promise<void> };

function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);

    return true;
  } catch (error) {
    // EPERM means the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the owner lock of a PGlite directory. PGlite 0.5.17 does not lock its directory itself: a second
 * process opens the same files without any error (checked on this version), and two PostgreSQL instances
 * writing one data directory can corrupt it. The lock is a file beside the directory that contains the owner's
 * pid. A lock left by a process that has exited is taken over.
 */
async function lockPgliteDirectory(dataDir: string): Promise<() => Promise<void>> {
  const lockPath = `${dataDir}.lock`;

  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(lockPath, `${process.pid}\n`, { flag: 'wx' });

      return () => unlink(lockPath).catch(() => undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }

    const ownerPid = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(ownerPid) && isProcessRunning(ownerPid)) {
      const owner = ownerPid === process.pid ? 'this process' : `process ${ownerPid}`;
      throw new Error(
        `PGlite directory ${dataDir} is locked by ${owner} (lock file ${lockPath}). One process owns a PGlite ` +
          'directory: stop the other process, or set DATABASE_URL to use a PostgreSQL server.',
      );
    }
    await unlink(lockPath).catch(() => undefined);
  }

  throw new Error(`PGlite directory ${dataDir} could not be locked: ${lockPath} keeps reappearing.`);
}

/** Opens (and on first use creates) the PGlite database in `dataDir`, holding its owner lock until closed. */
export async function openPglite(dataDir: string): Promise<OpenPglite> {
  const absoluteDir = path.resolve(dataDir);
  await mkdir(absoluteDir, { recursive: true });
  const unlock = await lockPgliteDirectory(absoluteDir);

  let pglite: PGlite;
  try {
    pglite = await PGlite.create(absoluteDir);
  } catch (error) {
    await unlock();
    throw new Error(`Opening the PGlite database in ${absoluteDir} failed: ${(error as Error).message}`, {
      cause: error,
    });
  }

  return {
    pglite,
    dataDir: absoluteDir,
    async close() {
      try {
        if (!pglite.closed) await pglite.close();
      } finally {
        await unlock();
      }
    },
  };
}

/**
 * Opens the product's database: PostgreSQL through `databaseUrl` when it is set, otherwise the PGlite database
 * in `pgliteDir`. The schema is not migrated here; call `migrateDatabase` first.
 */
export async function openDatabase(options: { databaseUrl?: string; pgliteDir: string }): Promise<Database> {
  if (options.databaseUrl) {
    const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: options.databaseUrl }) });

    return { kind: 'postgresql', prisma, close: () => prisma.$disconnect() };
  }

  const embedded = await openPglite(options.pgliteDir);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(embedded.pglite) });

  return {
    kind: 'pglite',
    prisma,
    pglite: embedded.pglite,
    async close() {
      try {
        await prisma.$disconnect();
      } finally {
        await embedded.close();
      }
    },
  };
}
