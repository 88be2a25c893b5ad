import { randomUUID } from 'node:crypto';

import { PrismaPg } from '@prisma/adapter-pg';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import pg from 'pg';

// The schema engine reads PostgreSQL's catalogs through @prisma/adapter-pg, and adapter-pg 7.10.1 has two
// faults there. Both are worked around for migrations only; the application's PrismaPg is left as it is.
//
// 1. Catalog queries return columns of PostgreSQL's internal one-byte `"char"` type (OID 18), which the
//    adapter rejects as an unsupported column type. The value arrives as a one-letter string either way, so
//    the column is relabelled as text (OID 25) before the adapter looks at it.
// 2. Its shadow-database factory drops the shadow database while its own pool still holds a connection, so
//    the drop fails, and a database name given in a connection string wins over the shadow name. The factory
//    below points a rewritten URL at the shadow database and closes that pool before dropping it.

const internalCharTypeId = 18;
const textTypeId = 25;

type TFieldDescription = { dataTypeID: number };
type TQueryResult = { fields?: TFieldDescription[] };

function relabelInternalCharColumns(result: unknown): void {
  const results = (Array.isArray(result) ? result : [result]) as TQueryResult[];
  for (const single of results) {
    for (const field of single?.fields ?? []) {
      if (field.dataTypeID === internalCharTypeId) field.dataTypeID = textTypeId;
    }
  }
}

/** pg client whose results report `"char"` columns as text; every query of a pool built with it passes here. */
class CatalogReadingClient extends pg.Client {
  // pg's query has many overloads (promise, callback, submittable); this wrapper only post-processes results.
  override query(...args: unknown[]): never {
    const callbackIndex = args.findIndex((argument) => typeof argument === 'function');
    if (callbackIndex !== -1) {
      const callback = args[callbackIndex] as (error: Error | null, result: unknown) => void;
      args[callbackIndex] = (error: Error | null, result: unknown) => {
        if (!error) relabelInternalCharColumns(result);
        callback(error, result);
      };
    }
    const returned = (super.query as (...queryArgs: unknown[]) => unknown)(...args);
    if (returned instanceof Promise) {
      return returned.then((result: unknown) => {
        relabelInternalCharColumns(result);

        return result;
      }) as never;
    }

    return returned as never;
  }
}

function createPool(connectionString: string): pg.Pool {
  return new pg.Pool({ connectionString, Client: CatalogReadingClient as unknown as new () => pg.ClientBase });
}

function connectAdapter(connectionString: string): Promise<SqlDriverAdapter> {
  return new PrismaPg(createPool(connectionString), { disposeExternalPool: true }).connect();
}

function withDatabaseName(connectionString: string, databaseName: string): string {
  const url = new URL(connectionString);
  url.pathname = `/${databaseName}`;

  return url.toString();
}

/** Builds the driver adapter factory the schema engine uses for a PostgreSQL server. */
export function createPostgresMigrationAdapter(databaseUrl: string): SqlMigrationAwareDriverAdapterFactory {
  return {
    provider: 'postgres',
    adapterName: '@prisma/adapter-pg',
    connect: () => connectAdapter(databaseUrl),

    async connectToShadowDb() {
      const shadowName = `sales_blitz_shadow_${randomUUID().replaceAll('-', '')}`;
      const serverPool = createPool(databaseUrl);
      await serverPool.query(`CREATE DATABASE "${shadowName}"`);

      const shadow = await connectAdapter(withDatabaseName(databaseUrl, shadowName));
      const disposeShadowPool = shadow.dispose.bind(shadow);
      shadow.dispose = async () => {
        try {
          await disposeShadowPool();
          await dropShadowDatabase(serverPool, shadowName);
        } finally {
          await serverPool.end();
        }
      };

      return shadow;
    },
  };
}

/**
 * Drops the shadow database. FORCE fails with insufficient_privilege when an autovacuum worker is on the new
 * database and the role is not a superuser; a plain DROP cancels autovacuum by itself, and the shadow pool is
 * already closed, so it is the fallback.
 */
async function dropShadowDatabase(serverPool: pg.Pool, shadowName: string): Promise<void> {
  try {
    await serverPool.query(`DROP DATABASE IF EXISTS "${shadowName}" WITH (FORCE)`);
  } catch (error) {
    if ((error as { code?: string }).code !== '42501') throw error;
    await serverPool.query(`DROP DATABASE IF EXISTS "${shadowName}"`);
  }
}
