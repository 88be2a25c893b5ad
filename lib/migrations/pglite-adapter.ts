import { PGlite } from '@electric-sql/pglite';
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import { PrismaPGlite } from 'pglite-prisma-adapter';

// pglite-prisma-adapter 0.7.2 has two faults that only the schema engine reaches; both are worked around here,
// for migrations only.
//
// 1. Its executeScript starts `exec` without awaiting it and reports success at once. A migration whose SQL
//    fails would be recorded as applied, and the rejected promise is left unhandled, which ends the process.
// 2. Its shadow database is an in-memory PGlite that dispose() never closes.

type TErrorReporter = { onError?: (error: unknown) => never };

async function connectAdapter(pglite: PGlite): Promise<SqlDriverAdapter> {
  const adapter = await new PrismaPGlite(pglite).connect();
  // onError turns PGlite's DatabaseError into the DriverAdapterError the engine reports with the SQL state.
  const reporter = adapter as SqlDriverAdapter & TErrorReporter;
  adapter.executeScript = async (script: string) => {
    try {
      await pglite.exec(script);
    } catch (error) {
      if (typeof reporter.onError === 'function') reporter.onError(error);
      throw error;
    }
  };

  return adapter;
}

/** Builds the driver adapter factory the schema engine uses for a PGlite instance the caller owns. */
export function createPgliteMigrationAdapter(pglite: PGlite): SqlMigrationAwareDriverAdapterFactory {
  return {
    provider: 'postgres',
    adapterName: new PrismaPGlite(pglite).adapterName,
    connect: () => connectAdapter(pglite),

    async connectToShadowDb() {
      const shadow = new PGlite();
      const adapter = await connectAdapter(shadow);
      adapter.dispose = () => shadow.close();

      return adapter;
    },
  };
}
