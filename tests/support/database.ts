import { randomBytes } from 'node:crypto';

import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

import { PrismaClient } from '../../lib/generated/prisma/client';
import { migrateDatabase } from '../../lib/migrations';

// Tests run against a real PostgreSQL server, each on a database of its own, so they can run in parallel and
// leave nothing behind. The admin URL's role needs CREATEDB.

const defaultAdminUrl = 'postgresql://sales_blitz:sales_blitz@127.0.0.1:5432/postgres';

export type TestDatabase = { url: string; prisma: PrismaClient; drop(): Promise<void> };

/** Returns the URL of the PostgreSQL server tests use, connected to its maintenance database. */
export function testDatabaseAdminUrl(): string {
  return process.env.TEST_DATABASE_ADMIN_URL || defaultAdminUrl;
}

/** Returns `url` with its database name replaced. */
export function withDatabaseName(url: string, databaseName: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${databaseName}`;

  return parsed.toString();
}

/** Runs one statement on a fresh admin connection, because CREATE and DROP DATABASE cannot run in a transaction. */
async function runAdminStatement(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: testDatabaseAdminUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates an empty, uniquely named database on the test server without migrating it. */
export async function createEmptyTestDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `sales_blitz_test_${randomBytes(6).toString('hex')}`;
  await runAdminStatement(`CREATE DATABASE "${name}"`);

  return {
    name,
    url: withDatabaseName(testDatabaseAdminUrl(), name),
    drop: () => dropDatabase(name),
  };
}

/**
 * Drops a test database and ends the sessions still connected to it. FORCE fails when an autovacuum worker is
 * on the database (common after a large delete), because a role that is not a superuser may not end it. A plain
 * DROP cancels autovacuum by itself, so the fallback ends this role's own sessions and drops without FORCE.
 */
async function dropDatabase(name: string): Promise<void> {
  try {
    await runAdminStatement(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);

    return;
  } catch (error) {
    if ((error as { code?: string }).code !== '42501') throw error;
  }

  await runAdminStatement(
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${name}' AND usename = current_user AND pid <> pg_backend_pid()`,
  );
  await runAdminStatement(`DROP DATABASE IF EXISTS "${name}"`);
}

/** Creates a uniquely named database on the test server, applies every migration, and connects Prisma to it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const database = await createEmptyTestDatabase();
  try {
    await migrateDatabase({ databaseUrl: database.url });
  } catch (error) {
    await database.drop();
    throw error;
  }
  const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: database.url }) });

  return {
    url: database.url,
    prisma,
    async drop() {
      await prisma.$disconnect();
      await database.drop();
    },
  };
}
