import { loadConfig } from '../lib/config';
import {
  createMigration,
  markMigrationRolledBack,
  migrateDatabase,
  MigrationError,
  type TMigrationTarget,
} from '../lib/migrations';

// `npm run db:migrate` applies pending migrations to DATABASE_URL, or to the PGlite directory when it is unset.
// `npm run db:migration -- NAME` writes a new migration from the changes in prisma/schema.prisma.
// `tsx scripts/db-migrate.ts rolled-back NAME` marks a failed migration rolled back so deploy retries it.

const usage = 'Usage: tsx scripts/db-migrate.ts deploy | create NAME | rolled-back MIGRATION_DIRECTORY_NAME';

/** Lowercase words joined by underscores, the form migration directory names take. */
function normaliseMigrationName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

function configuredDatabase(): { target: TMigrationTarget; where: string } {
  const config = loadConfig();
  if (config.DATABASE_URL) return { target: { databaseUrl: config.DATABASE_URL }, where: 'PostgreSQL (DATABASE_URL)' };

  return { target: { pgliteDir: config.pgliteDir }, where: `PGlite in ${config.pgliteDir}` };
}

async function deploy(): Promise<void> {
  const { target, where } = configuredDatabase();

  const { appliedMigrationNames } = await migrateDatabase(target);
  if (appliedMigrationNames.length === 0) {
    console.log(`No pending migrations: ${where} is up to date.`);

    return;
  }
  console.log(`Applied ${appliedMigrationNames.length} migration(s) to ${where}:`);
  for (const name of appliedMigrationNames) console.log(`  ${name}`);
}

async function create(rawName: string | undefined): Promise<void> {
  const name = normaliseMigrationName(rawName ?? '');
  if (name === '') throw new Error(`Missing migration name. ${usage}`);

  const config = loadConfig();
  const created = await createMigration(name, { databaseUrl: config.DATABASE_URL });
  if (created === null) {
    console.log('No schema changes: prisma/schema.prisma matches the existing migrations; nothing written.');

    return;
  }
  console.log(`Created ${created.directory}/migration.sql`);
}

async function markRolledBack(migrationName: string | undefined): Promise<void> {
  if (!migrationName) throw new Error(`Missing migration directory name. ${usage}`);

  const { target, where } = configuredDatabase();
  await markMigrationRolledBack(target, migrationName);
  console.log(`Marked ${migrationName} rolled back in ${where}; the next deploy applies it again.`);
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const text = message.replace(/\s*\n\s*/g, ' ').trim();

  return error instanceof MigrationError && error.code ? `${error.code}: ${text}` : text;
}

async function main(): Promise<void> {
  const [command, name] = process.argv.slice(2);
  if (command === 'deploy') return deploy();
  if (command === 'create') return create(name);
  if (command === 'rolled-back') return markRolledBack(name);
  throw new Error(`Unknown command "${command ?? ''}". ${usage}`);
}

// Exit explicitly, so a handle a dependency leaves open (a pg pool, a PGlite instance) cannot delay the command.
main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`db-migrate: ${oneLine(error)}`);
    process.exit(1);
  },
);
