import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import * as engineGlue from '@prisma/schema-engine-wasm/schema_engine_bg';
import type { SchemaEngine } from '@prisma/schema-engine-wasm';

// Prisma's schema engine compiled to WebAssembly does what `prisma migrate deploy` and `migrate dev` do, but
// over a JavaScript driver adapter, so it needs no native engine binary. The package's own entry point imports
// the .wasm file as an ES module, which Node 20 cannot do, so the module is instantiated here by hand.

const require = createRequire(import.meta.url);

let engineGlueReady: Promise<void> | undefined;

function loadEngineGlue(): Promise<void> {
  engineGlueReady ??= (async () => {
    const packageDir = path.dirname(require.resolve('@prisma/schema-engine-wasm/schema_engine_bg'));
    const bytes = await readFile(path.join(packageDir, 'schema_engine_bg.wasm'));
    // The glue module is the only import namespace the wasm binary asks for.
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': engineGlue });
    engineGlue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
  })();

  return engineGlueReady;
}

/** Prisma schema file as the engine expects it: a path (used only in messages) and its text. */
export type TSchemaFile = { path: string; content: string };

/**
 * Starts a schema engine on the given adapter factory. The caller must call `free()` when done; the
 * engine keeps no state between commands other than its connections.
 */
export async function startSchemaEngine(
  adapterFactory: SqlMigrationAwareDriverAdapterFactory,
  schema: TSchemaFile,
): Promise<SchemaEngine> {
  await loadEngineGlue();

  return engineGlue.SchemaEngine.new(
    { datamodels: [[schema.path, schema.content]] },
    // The engine reports tracing lines through this callback; they are engine internals, not product logs.
    () => {},
    bindMigrationAwareSqlAdapterFactory(adapterFactory),
  );
}

/** Tables and enums the engine should leave alone; the product has none. */
export const noExternalEntities = { externalTables: [], externalEnums: [] };
