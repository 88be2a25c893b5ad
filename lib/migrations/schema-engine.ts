import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import * as engineGlue from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';

// Prisma's schema engine compiled to WebAssembly does what `prisma migrate deploy` and `migrate dev` do, but
// over a JavaScript driver adapter, so it needs no native engine binary. The package's own entry point imports
// the .wasm file as an ES module, which Node 20 cannot do, so the module is instantiated here by hand.

const require = createRequire(import.meta.url);

let engineGlueReady: Promise<void> | undefined;

/**
 * Returns the glue's imports with timers that do not keep the process alive. The engine starts 10 s timeouts
 * that it never clears (engine 8.1.0-2), so every command otherwise held the process open for 10 s after it
 * finished. While a session is open, `keepAlive` holds the process instead.
 */
function withUnrefTimers(glue: typeof engineGlue): WebAssembly.ModuleImports {
  const imports: WebAssembly.ModuleImports = { ...(glue as unknown as WebAssembly.ModuleImports) };
  for (const name of Object.keys(imports).filter((key) => key.startsWith('__wbg_setTimeout_'))) {
    imports[name] = (callback: () => void, milliseconds: number) => setTimeout(callback, milliseconds >>> 0).unref();
  }

  return imports;
}

function loadEngineGlue(): Promise<void> {
  engineGlueReady ??= (async () => {
    const packageDir = path.dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg'));
    const bytes = await readFile(path.join(packageDir, 'schema_engine_bg.wasm'));
    // The glue module is the only import namespace the wasm binary asks for.
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': withUnrefTimers(engineGlue) });
    engineGlue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
  })();

  return engineGlueReady;
}

/** Prisma schema file as the engine expects it: a path (used only in messages) and its text. */
export type TSchemaFile = { path: string; content: string };

/** A running schema engine and the database connections it opened. */
export type TSchemaEngineSession = { engine: SchemaEngine; close(): Promise<void> };

/**
 * Starts a schema engine on the given adapter factory. The caller must call `close()` when done.
 *
 * The engine disposes the shadow-database connections it opens, but `free()` leaves its main connection open.
 * On PostgreSQL that connection keeps the session's migration advisory lock and its pool keeps the process
 * alive until the pool's 10 s idle timeout, and the next engine on the same database waits that long for the
 * lock. So the session records every main connection and disposes it after freeing the engine.
 */
export async function startSchemaEngine(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  schema: TSchemaFile,
): Promise<TSchemaEngineSession> {
  await loadEngineGlue();

  const connections: SqlDriverAdapter[] = [];
  const recordingFactory: SqlMigrationAwareDriverAdapterFactory = {
    provider: adapterFactory.provider,
    adapterName: adapterFactory.adapterName,
    async connect() {
      const connection = await adapterFactory.connect();
      connections.push(connection);

      return connection;
    },
    connectToShadowDb: () => adapterFactory.connectToShadowDb(),
  };

  // A long interval that is cleared on close, so the process stays up while the engine waits on its own timers.
  const keepAlive = setInterval(() => {}, 1 << 30);
  let engine: SchemaEngine;
  try {
    engine = await engineGlue.SchemaEngine.new(
      { datamodels: [[schema.path, schema.content]] },
      // The engine reports tracing lines through this callback; they are engine internals, not product logs.
      () => {},
      bindMigrationAwareSqlAdapterFactory(recordingFactory),
    );
  } catch (error) {
    await Promise.allSettled(connections.map((connection) => connection.dispose()));
    clearInterval(keepAlive);
    throw error;
  }

  return {
    engine,
    async close() {
      engine.free();
      await Promise.allSettled(connections.map((connection) => connection.dispose()));
      clearInterval(keepAlive);
    },
  };
}

/** Tables and enums the engine should leave alone; the product has none. */
export const noExternalEntities = { externalTables: [], externalEnums: [] };
