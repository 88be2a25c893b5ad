import { defineConfig } from 'prisma/config';

// Prisma's CLI is used here only for `generate`, `validate` and `format`; migrations run through the
// project's own command (`npm run db:migrate`) on Prisma's WebAssembly schema engine.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
