import type { Prisma, PrismaClient } from '../generated/prisma/client';

// Every query on `oauth_connections` runs through `withUserScope`. The table's row-level security policy
// compares `user_id` with the transaction-local setting `app.user_id`, so a query in another user's scope, or
// in no scope, reads and changes no row. Superusers (PGlite's only role among them) bypass the policy.

export type ScopedTransaction = Prisma.TransactionClient;

// The vault holds a row lock across a refresh at the provider, so the transaction may outlast Prisma's 5 s default.
const scopedTransactionOptions = { maxWait: 10_000, timeout: 30_000 } as const;

/** Runs `fn` in one interactive transaction in which only `userId`'s OAuth connections are visible. */
export async function withUserScope<T>(
  prisma: PrismaClient,
  userId: string,
  fn: (tx: ScopedTransaction) => Promise<T>,
): Promise<T> {
  return prisma.$transaction(async (tx) => {
    // `true`: the setting ends with the transaction, so a pooled connection never carries it to the next caller.
    await tx.$queryRaw`SELECT set_config('app.user_id', ${userId}, true)`;

    return fn(tx);
  }, scopedTransactionOptions);
}
