import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openDatabase, openPglite, type Database } from '../lib/database';
import type { PrismaClient } from '../lib/generated/prisma/client';
import { createMigration, markMigrationRolledBack, migrateDatabase, MigrationError } from '../lib/migrations';
import { DEMO_ORGANIZATION_ID, DEMO_PROSPECT_ID, DEMO_REP_USER_ID, seedDemoData } from '../prisma/seed';
import { createEmptyTestDatabase, createTestDatabase, testDatabaseAdminUrl } from './support/database';

const projectRoot = path.resolve(import.meta.dirname, '..');
const migrationsDir = path.join(projectRoot, 'prisma/migrations');
const schemaPath = path.join(projectRoot, 'prisma/schema.prisma');
const brokenMigrationName = '20991231000000_broken';

type TMigrationRow = {
  migration_name: string;
  checksum: string;
  finished: boolean;
  rolled_back: boolean;
  logs: string | null;
  applied_steps_count: number;
};

const migrationRowsQuery = `
  SELECT migration_name, checksum, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back,
         logs, applied_steps_count
  FROM _prisma_migrations ORDER BY migration_name, started_at`;

async function postgresMigrationRows(url: string): Promise<TMigrationRow[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<TMigrationRow>(migrationRowsQuery)).rows;
  } finally {
    await client.end();
  }
}

async function pgliteMigrationRows(pgliteDir: string): Promise<TMigrationRow[]> {
  const embedded = await openPglite(pgliteDir);
  try {
    return (await embedded.pglite.query<TMigrationRow>(migrationRowsQuery)).rows;
  } finally {
    await embedded.close();
  }
}

async function migrationDirectoryNames(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true });

  return entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

async function expectedMigrationRows(): Promise<TMigrationRow[]> {
  const names = await migrationDirectoryNames(migrationsDir);

  return Promise.all(
    names.map(async (name) => ({
      migration_name: name,
      checksum: createHash('sha256')
        .update(await readFile(path.join(migrationsDir, name, 'migration.sql')))
        .digest('hex'),
      finished: true,
      rolled_back: false,
      logs: null,
      applied_steps_count: 1,
    })),
  );
}

const temporaryDirectories: string[] = [];

async function temporaryDirectory(prefix: string): Promise<string> {
  const directory = await mkdtemp(path.join(tmpdir(), `sales-blitz-${prefix}-`));
  temporaryDirectories.push(directory);

  return directory;
}

/** Copies the project's migrations and adds one whose SQL fails, so deploy records a failed migration. */
async function migrationsWithBrokenMigration(): Promise<string> {
  const directory = await temporaryDirectory('migrations');
  await cp(migrationsDir, directory, { recursive: true });
  const broken = path.join(directory, brokenMigrationName);
  await mkdir(broken);
  await writeFile(path.join(broken, 'migration.sql'), 'ALTER TABLE "no_such_table" ADD COLUMN "note" TEXT;\n');

  return directory;
}

async function rejection(promise: Promise<unknown>): Promise<MigrationError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(MigrationError);

  return error as MigrationError;
}

async function shadowDatabaseNames(): Promise<string[]> {
  const client = new pg.Client({ connectionString: testDatabaseAdminUrl() });
  await client.connect();
  try {
    const result = await client.query<{ datname: string }>(
      "SELECT datname FROM pg_database WHERE datname LIKE 'sales_blitz_shadow_%'",
    );

    return result.rows.map((row) => row.datname);
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  await Promise.all(temporaryDirectories.map((directory) => rm(directory, { recursive: true, force: true })));
});

describe('migrateDatabase', { timeout: 120_000 }, () => {
  it('writes the same sha256 rows on PostgreSQL and PGlite', async () => {
    const expected = await expectedMigrationRows();
    expect(expected.length).toBeGreaterThan(0);

    const postgres = await createEmptyTestDatabase();
    try {
      const applied = await migrateDatabase({ databaseUrl: postgres.url });
      expect(applied.appliedMigrationNames).toEqual(expected.map((row) => row.migration_name));
      expect(await postgresMigrationRows(postgres.url)).toEqual(expected);
    } finally {
      await postgres.drop();
    }

    const pgliteDir = path.join(await temporaryDirectory('pglite'), 'data');
    const applied = await migrateDatabase({ pgliteDir });
    expect(applied.appliedMigrationNames).toEqual(expected.map((row) => row.migration_name));
    expect(await pgliteMigrationRows(pgliteDir)).toEqual(expected);
  });

  it('applies nothing on a second deploy', async () => {
    const postgres = await createTestDatabase();
    try {
      const rowsBefore = await postgresMigrationRows(postgres.url);
      const second = await migrateDatabase({ databaseUrl: postgres.url });
      expect(second.appliedMigrationNames).toEqual([]);
      expect(await postgresMigrationRows(postgres.url)).toEqual(rowsBefore);
    } finally {
      await postgres.drop();
    }

    const pglite = new PGlite();
    try {
      const first = await migrateDatabase({ pglite });
      expect(first.appliedMigrationNames.length).toBeGreaterThan(0);
      const second = await migrateDatabase({ pglite });
      expect(second.appliedMigrationNames).toEqual([]);
      // The caller's instance stays open for its own queries.
      expect(pglite.closed).toBe(false);
    } finally {
      await pglite.close();
    }
  });

  it('failed migration blocks later deploys with P3009', async () => {
    const brokenMigrationsDir = await migrationsWithBrokenMigration();
    const postgres = await createEmptyTestDatabase();
    const pglite = new PGlite();
    try {
      for (const target of [{ databaseUrl: postgres.url }, { pglite }]) {
        const failure = await rejection(migrateDatabase(target, { migrationsDir: brokenMigrationsDir }));
        expect(failure.code).toBe('P3018');
        expect(failure.message).toContain(brokenMigrationName);
        expect(failure.message).toContain('no_such_table');

        const refusal = await rejection(migrateDatabase(target, { migrationsDir: brokenMigrationsDir }));
        expect(refusal.code).toBe('P3009');
        expect(refusal.message).toContain(brokenMigrationName);

        // Once marked rolled back the migration is tried again, and fails again because its SQL is unchanged.
        await markMigrationRolledBack(target, brokenMigrationName);
        const retry = await rejection(migrateDatabase(target, { migrationsDir: brokenMigrationsDir }));
        expect(retry.code).toBe('P3018');
      }

      const postgresRows = await postgresMigrationRows(postgres.url);
      const pgliteRows = (await pglite.query<TMigrationRow>(migrationRowsQuery)).rows;
      for (const rows of [postgresRows, pgliteRows]) {
        const brokenRows = rows.filter((row) => row.migration_name === brokenMigrationName);
        expect(brokenRows.map((row) => ({ finished: row.finished, rolledBack: row.rolled_back }))).toEqual([
          { finished: false, rolledBack: true },
          { finished: false, rolledBack: false },
        ]);
        expect(brokenRows[0]?.logs).toContain('no_such_table');
        expect(rows.filter((row) => row.finished)).toHaveLength(rows.length - 2);
      }
    } finally {
      await pglite.close();
      await postgres.drop();
    }
  });
});

describe('createMigration', { timeout: 120_000 }, () => {
  it('writes nothing when the schema is unchanged', async () => {
    const copiedMigrationsDir = await temporaryDirectory('unchanged');
    await cp(migrationsDir, copiedMigrationsDir, { recursive: true });
    const namesBefore = await migrationDirectoryNames(copiedMigrationsDir);

    // Once on an in-memory PGlite shadow database, once on a shadow database on the PostgreSQL server.
    for (const target of [{}, { databaseUrl: testDatabaseAdminUrl() }]) {
      const created = await createMigration('nothing_to_do', target, { migrationsDir: copiedMigrationsDir });
      expect(created).toBeNull();
      expect(await migrationDirectoryNames(copiedMigrationsDir)).toEqual(namesBefore);
    }
    expect(await shadowDatabaseNames()).toEqual([]);
  });

  it('writes a deployable migration for a new column', async () => {
    const workDir = await temporaryDirectory('changed');
    const copiedMigrationsDir = path.join(workDir, 'migrations');
    await cp(migrationsDir, copiedMigrationsDir, { recursive: true });
    const changedSchemaPath = path.join(workDir, 'schema.prisma');
    const schema = await readFile(schemaPath, 'utf8');
    const changedSchema = schema.replace(/(model Prospect \{\n)/, '$1  linkedinUrl String? @map("linkedin_url")\n');
    expect(changedSchema).not.toBe(schema);
    await writeFile(changedSchemaPath, changedSchema);
    const paths = { migrationsDir: copiedMigrationsDir, schemaPath: changedSchemaPath };

    const created = await createMigration('add_prospect_linkedin', { databaseUrl: testDatabaseAdminUrl() }, paths);
    expect(created?.name).toMatch(/^\d{14}_add_prospect_linkedin$/);
    expect(created?.sql).toContain('"linkedin_url" TEXT');
    expect(await readFile(path.join(created!.directory, 'migration.sql'), 'utf8')).toBe(created?.sql);
    expect(await shadowDatabaseNames()).toEqual([]);

    const pglite = new PGlite();
    try {
      const applied = await migrateDatabase({ pglite }, paths);
      expect(applied.appliedMigrationNames).toContain(created?.name);
      const columns = await pglite.query<{ column_name: string }>(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'prospects' AND column_name = 'linkedin_url'",
      );
      expect(columns.rows).toHaveLength(1);
    } finally {
      await pglite.close();
    }
  });
});

/** Writes and reads one row of every model, with enums, JSON, arrays and relations. */
async function exerciseEveryModel(prisma: PrismaClient): Promise<Record<string, number>> {
  await seedDemoData(prisma);
  await seedDemoData(prisma);

  const meeting = await prisma.meeting.create({
    data: {
      organizationId: DEMO_ORGANIZATION_ID,
      createdById: DEMO_REP_USER_ID,
      prospectId: DEMO_PROSPECT_ID,
      platform: 'zoom',
      meetingUrl: 'https://zoom.example/j/123',
      mode: 'record_only',
      joinAt: new Date('2026-01-05T15:00:00Z'),
    },
  });
  const transcript = await prisma.transcript.create({
    data: {
      meetingId: meeting.id,
      organizationId: DEMO_ORGANIZATION_ID,
      sourceFormat: 'recall',
      utterances: [{ speaker: 'Dana', text: 'Hello' }],
      speakerCount: 1,
      turnCount: 1,
      hasTimings: false,
      expiresAt: new Date('2026-04-05T15:00:00Z'),
    },
  });
  await prisma.transcriptEmbedding.create({
    data: {
      transcriptId: transcript.id,
      chunkIndex: 0,
      firstUtterance: 0,
      lastUtterance: 0,
      model: 'm',
      vector: [0.25, -1.5],
    },
  });
  await prisma.callIntelligence.create({
    data: {
      meetingId: meeting.id,
      organizationId: DEMO_ORGANIZATION_ID,
      status: 'analysed',
      metrics: { questionRate: 0.5 },
    },
  });
  await prisma.prospectIntelligence.create({
    data: {
      prospectId: DEMO_PROSPECT_ID,
      organizationId: DEMO_ORGANIZATION_ID,
      meetingCount: 1,
      meetingIds: [meeting.id],
    },
  });
  await prisma.webhookEvent.create({ data: { provider: 'recall', eventId: 'evt_1', eventType: 'bot.done' } });
  await prisma.auditEvent.create({
    data: {
      organizationId: DEMO_ORGANIZATION_ID,
      action: 'meeting.created',
      subjectType: 'meeting',
      subjectId: meeting.id,
    },
  });

  const stored = await prisma.meeting.findUniqueOrThrow({
    where: { id: meeting.id },
    include: { transcript: { include: { embeddings: true } }, prospect: { include: { intelligence: true } } },
  });
  expect(stored.transcript?.embeddings[0]?.vector).toEqual([0.25, -1.5]);
  expect(stored.prospect?.intelligence?.meetingIds).toEqual([meeting.id]);

  return {
    organization: await prisma.organization.count(),
    user: await prisma.user.count(),
    membership: await prisma.membership.count(),
    prospect: await prisma.prospect.count(),
    meeting: await prisma.meeting.count(),
    transcript: await prisma.transcript.count(),
    transcriptEmbedding: await prisma.transcriptEmbedding.count(),
    callIntelligence: await prisma.callIntelligence.count(),
    prospectIntelligence: await prisma.prospectIntelligence.count(),
    webhookEvent: await prisma.webhookEvent.count(),
    auditEvent: await prisma.auditEvent.count(),
  };
}

const expectedModelCounts = {
  organization: 2,
  user: 4,
  membership: 4,
  prospect: 1,
  meeting: 1,
  transcript: 1,
  transcriptEmbedding: 1,
  callIntelligence: 1,
  prospectIntelligence: 1,
  webhookEvent: 1,
  auditEvent: 1,
};

describe('openDatabase', { timeout: 120_000 }, () => {
  let pgliteDir: string;

  beforeAll(async () => {
    pgliteDir = path.join(await temporaryDirectory('open'), 'pglite');
  });

  it('serves every model on PostgreSQL', async () => {
    const postgres = await createTestDatabase();
    let database: Database | undefined;
    try {
      database = await openDatabase({ databaseUrl: postgres.url, pgliteDir });
      expect(database.kind).toBe('postgresql');
      expect(await exerciseEveryModel(database.prisma)).toEqual(expectedModelCounts);
    } finally {
      await database?.close();
      await postgres.drop();
    }
  });

  it('serves every model on PGlite after in-process migration', async () => {
    const database = await openDatabase({ pgliteDir });
    try {
      expect(database.kind).toBe('pglite');
      if (database.kind !== 'pglite') return;
      await migrateDatabase({ pglite: database.pglite });
      expect(await exerciseEveryModel(database.prisma)).toEqual(expectedModelCounts);
    } finally {
      await database.close();
    }
    await expect(stat(`${pgliteDir}.lock`)).rejects.toThrow(/ENOENT/);
  });

  it('rejects a second owner of a PGlite directory', async () => {
    const owner = await openDatabase({ pgliteDir });
    try {
      await expect(openDatabase({ pgliteDir })).rejects.toThrow(/is locked by this process.*One process owns a PGlite/);
      await expect(migrateDatabase({ pgliteDir })).rejects.toThrow(/is locked by this process/);
    } finally {
      await owner.close();
    }
  });

  it('takes over a lock left by an exited process', async () => {
    const exitedPid = await new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', '0']);
      child.on('error', reject);
      child.on('exit', () => resolve(child.pid!));
    });
    await writeFile(`${pgliteDir}.lock`, `${exitedPid}\n`);

    const database = await openDatabase({ pgliteDir });
    try {
      expect(await readFile(`${pgliteDir}.lock`, 'utf8')).toBe(`${process.pid}\n`);
    } finally {
      await database.close();
    }
  });
});

describe('db-migrate command', { timeout: 60_000 }, () => {
  function runCommand(
    args: string[],
    env: NodeJS.ProcessEnv,
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/db-migrate.ts', ...args], {
        cwd: projectRoot,
        env: { ...process.env, ...env },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('deploy is idempotent and exits promptly', async () => {
    const postgres = await createEmptyTestDatabase();
    try {
      const migrationCount = (await migrationDirectoryNames(migrationsDir)).length;
      const first = await runCommand(['deploy'], { DATABASE_URL: postgres.url });
      expect(first.code).toBe(0);
      expect(first.stdout).toContain(`Applied ${migrationCount} migration(s)`);

      const startedAt = Date.now();
      const second = await runCommand(['deploy'], { DATABASE_URL: postgres.url });
      expect(second.code).toBe(0);
      expect(second.stdout).toContain('No pending migrations');
      // The engine starts 10 s timers it never clears. Unless they are unref'd the process outlives the command by
      // 10 s, while a no-op deploy takes about 1.5 s on a 2-core machine.
      expect(Date.now() - startedAt).toBeLessThan(8_000);
    } finally {
      await postgres.drop();
    }
  });

  it('missing name exits 1 with one line', async () => {
    const result = await runCommand(['create'], {});
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('Missing migration name');
  });
});
