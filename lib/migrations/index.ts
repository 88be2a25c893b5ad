import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { PGlite } from '@electric-sql/pglite';
import type { SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { DiffTarget, SchemaEngine } from '@prisma/schema-engine-wasm';

import { openPglite } from '../database';
import { lockfileContent, migrationTimestamp, readMigrationsFolder, writeMigration } from './migrations-folder';
import { createPgliteMigrationAdapter } from './pglite-adapter';
import { createPostgresMigrationAdapter } from './postgres-adapter';
import { noExternalEntities, startSchemaEngine, type TSchemaFile } from './schema-engine';

// Applies and creates migrations with Prisma's WebAssembly schema engine. The `_prisma_migrations` table it
// writes is the one `prisma migrate deploy` writes (checksum = SHA-256 hex of migration.sql), so a database
// migrated here can later be migrated by the Prisma CLI and the other way round.

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Where the migration commands read from; both default to the project's `prisma/` folder. */
export type TMigrationPaths = { migrationsDir?: string; schemaPath?: string };

/**
 * Database to migrate: a PostgreSQL URL, a PGlite directory (opened, locked and closed here), or a PGlite
 * instance this process has already opened, which stays open afterwards.
 */
export type TMigrationTarget = { databaseUrl: string } | { pgliteDir: string } | { pglite: PGlite };

export type TMigrationResult = { appliedMigrationNames: string[] };

/** A migration command the engine rejected; `code` is Prisma's error code (P3009, P3018, ...) when it has one. */
export class MigrationError extends Error {
  override readonly name = 'MigrationError';

  constructor(
    message: string,
    readonly code: string | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

function resolvePaths(paths: TMigrationPaths): { migrationsDir: string; schemaPath: string } {
  return {
    migrationsDir: path.resolve(paths.migrationsDir ?? path.join(projectRoot, 'prisma/migrations')),
    schemaPath: path.resolve(paths.schemaPath ?? path.join(projectRoot, 'prisma/schema.prisma')),
  };
}

async function readSchema(schemaPath: string): Promise<TSchemaFile> {
  return { path: schemaPath, content: await readFile(schemaPath, 'utf8') };
}

const failedMigrationsFound = /^migrate found failed migrations/;
const failedScriptTrace = /apply_migration::apply_script\s+with migration_name="([^"]+)"/;

/**
 * Turns what the engine throws into a MigrationError. The wasm engine throws plain Errors whose message ends in
 * a Rust span trace ("   0: schema_engine_wasm::..."), without Prisma's error codes, so the two codes callers
 * act on are recognised from the text: P3018 (a migration failed to apply) and P3009 (an earlier migration is
 * recorded as failed, so nothing is applied).
 */
function toMigrationError(error: unknown): MigrationError {
  if (error instanceof MigrationError) return error;
  const rawMessage = error instanceof Error ? error.message : String(error);
  const [summary = rawMessage, ...traceParts] = rawMessage.split(/\n\s+\d+: /);
  const description = summary.replace(/\s*\n\s*/g, ' ').trim();

  const failedMigrationName = failedScriptTrace.exec(traceParts.join('\n'))?.[1];
  if (failedMigrationName) {
    return new MigrationError(
      `Migration ${failedMigrationName} failed to apply: ${description}. It is recorded as failed in ` +
        '_prisma_migrations, and deploy will apply nothing until it is marked rolled back.',
      'P3018',
      { cause: error },
    );
  }
  if (failedMigrationsFound.test(summary)) {
    return new MigrationError(
      `${description} Undo what the failed migration changed, mark it rolled back ` +
        '(scripts/db-migrate.ts rolled-back NAME), fix its SQL and deploy again.',
      'P3009',
      { cause: error },
    );
  }

  return new MigrationError(description, undefined, { cause: error });
}

/** Runs `command` on a schema engine connected to `target`, then frees the engine and anything opened here. */
async function withSchemaEngine<T>(
  target: TMigrationTarget,
  schema: TSchemaFile,
  command: (engine: SchemaEngine) => Promise<T>,
): Promise<T> {
  let adapterFactory: SqlMigrationAwareDriverAdapterFactory;
  let closeTarget = async (): Promise<void> => {};

  if ('pglite' in target) {
    adapterFactory = createPgliteMigrationAdapter(target.pglite);
  } else if ('databaseUrl' in target) {
    adapterFactory = createPostgresMigrationAdapter(target.databaseUrl);
  } else {
    const embedded = await openPglite(target.pgliteDir);
    adapterFactory = createPgliteMigrationAdapter(embedded.pglite);
    closeTarget = () => embedded.close();
  }

  try {
    const session = await startSchemaEngine(adapterFactory, schema);
    try {
      return await command(session.engine);
    } finally {
      await session.close();
    }
  } catch (error) {
    throw toMigrationError(error);
  } finally {
    await closeTarget();
  }
}

/**
 * Applies every migration in the migrations folder that the database has not applied yet, as
 * `prisma migrate deploy` does. Applying twice is a no-op. A migration that fails is recorded as failed and
 * every later call rejects with P3009 until `markMigrationRolledBack` resolves that row.
 */
export async function migrateDatabase(
  target: TMigrationTarget,
  paths: TMigrationPaths = {},
): Promise<TMigrationResult> {
  const { migrationsDir, schemaPath } = resolvePaths(paths);
  const migrationsList = await readMigrationsFolder(migrationsDir);
  const schema = await readSchema(schemaPath);

  return withSchemaEngine(target, schema, async (engine) => {
    const output = await engine.applyMigrations({ migrationsList, filters: noExternalEntities });

    return { appliedMigrationNames: output.appliedMigrationNames };
  });
}

/**
 * Marks a failed migration as rolled back, as `prisma migrate resolve --rolled-back` does, so the next deploy
 * applies it again. The row stays in `_prisma_migrations` as a record; nothing in the schema is undone.
 */
export async function markMigrationRolledBack(
  target: TMigrationTarget,
  migrationName: string,
  paths: TMigrationPaths = {},
): Promise<void> {
  const schema = await readSchema(resolvePaths(paths).schemaPath);

  await withSchemaEngine(target, schema, (engine) => engine.markMigrationRolledBack({ migrationName }));
}

export type TCreatedMigration = { name: string; directory: string; sql: string };

/**
 * Writes a migration that takes a database from the state the existing migrations produce to
 * `prisma/schema.prisma`, as `<yyyymmddhhmmss>_<migrationName>/migration.sql`. Returns null and writes
 * nothing when the schema needs no change.
 *
 * The engine replays the existing migrations on a throwaway shadow database: on the PostgreSQL server when
 * `target` names one, otherwise on an in-memory PGlite, so neither a running server nor the PGlite directory
 * is needed. The target database itself is neither read nor changed.
 */
export async function createMigration(
  migrationName: string,
  target: { databaseUrl?: string } = {},
  paths: TMigrationPaths = {},
): Promise<TCreatedMigration | null> {
  const { migrationsDir, schemaPath } = resolvePaths(paths);
  const migrationsList = await readMigrationsFolder(migrationsDir);
  const schema = await readSchema(schemaPath);

  // The engine reads the provider of a migration history from its lockfile; a folder without one is
  // PostgreSQL, the only provider the product uses.
  migrationsList.lockfile.content ??= lockfileContent;
  const from: DiffTarget =
    migrationsList.migrationDirectories.length === 0 ? { tag: 'empty' } : { tag: 'migrations', ...migrationsList };

  const scratch = target.databaseUrl ? undefined : new PGlite();
  const engineTarget: TMigrationTarget = scratch ? { pglite: scratch } : { databaseUrl: target.databaseUrl! };

  try {
    // `diff`, not `createMigration`: the wasm engine 8.1.0-2 rejects createMigration with "shadow DB must be
    // provided through an external factory" as soon as the folder holds a migration, while diff from the
    // migrations folder replays them on the adapter's shadow database as intended.
    const result = await withSchemaEngine(engineTarget, schema, (engine) =>
      engine.diff({
        from,
        to: { tag: 'schemaDatamodel', files: [schema] },
        script: true,
        exitCode: true,
        filters: noExternalEntities,
      }),
    );
    // With `exitCode: true` the engine returns 2 when the diff has steps and 0 when it is empty.
    if (result.exitCode !== 2 || result.stdout === null) return null;

    const name = `${migrationTimestamp()}_${migrationName}`;
    const directory = await writeMigration(migrationsDir, name, result.stdout);

    return { name, directory, sql: result.stdout };
  } finally {
    await scratch?.close();
  }
}
