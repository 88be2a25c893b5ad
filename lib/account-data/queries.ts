import type { Prisma, PrismaClient } from '../generated/prisma/client';
import { accountTables, deletedUserPlaceholderId, exportCondition, type OwnedTable } from './table-map';

// Reads and deletes an account's rows through the table map, inside one transaction per call. The
// transaction sets `app.user_id` so that row-level security on `oauth_connections` shows the user's rows.

type Transaction = Prisma.TransactionClient;

export interface AccountScope {
  userId: string;
  /** Companies in which the user is the only member, whose data the account owns. */
  soleCompanyIds: string[];
}

// Large accounts take longer than Prisma's 5 s default; the activity heartbeats meanwhile.
const transactionOptions = { maxWait: 10_000, timeout: 10 * 60_000 } as const;

export async function findAccountScope(tx: Transaction, userId: string): Promise<AccountScope> {
  const rows = await tx.$queryRaw<Array<{ organization_id: string }>>`
    SELECT m.organization_id FROM memberships m
    WHERE m.user_id = ${userId}
      AND NOT EXISTS (
        SELECT 1 FROM memberships other WHERE other.organization_id = m.organization_id AND other.user_id <> ${userId}
      )`;

  return { userId, soleCompanyIds: rows.map((row) => row.organization_id) };
}

/** Runs `fn` in a transaction scoped to `userId`, so every table, `oauth_connections` included, shows the user's rows. */
export async function withAccountTransaction<T>(
  prisma: PrismaClient,
  userId: string,
  fn: (tx: Transaction, scope: AccountScope) => Promise<T>,
): Promise<T> {
  return prisma.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT set_config('app.user_id', ${userId}, true)`;

    return fn(tx, await findAccountScope(tx, userId));
  }, transactionOptions);
}

/** Reads every row the account owns or that names the user, by table; tables without such rows map to []. */
export async function readAccountRows(tx: Transaction, scope: AccountScope): Promise<Record<string, unknown[]>> {
  const tables: Record<string, unknown[]> = {};
  for (const entry of accountTables) {
    const condition = exportCondition(entry);
    if (condition === null) {
      continue;
    }
    const rows = await tx.$queryRawUnsafe<Array<{ row: unknown }>>(
      `SELECT to_jsonb(t) - ${secretColumnsArray(entry)} AS row FROM "${entry.table}" t WHERE ${bindingBoth(condition)}`,
      scope.userId,
      scope.soleCompanyIds,
    );
    tables[entry.table] = rows.map((row) => row.row);
  }

  return tables;
}

/**
 * Replaces the user's id in the company rows it does not own, then deletes every owned row, children
 * first. Returns the number of rows deleted per table.
 */
export async function deleteAccountRows(tx: Transaction, scope: AccountScope): Promise<Record<string, number>> {
  if (await namedInPlaceholderColumns(tx, scope)) {
    await tx.$executeRaw`INSERT INTO users (id) VALUES (${deletedUserPlaceholderId}) ON CONFLICT (id) DO NOTHING`;
  }
  for (const entry of accountTables) {
    for (const reference of entry.references ?? []) {
      const replacement = reference.replacement === 'null' ? 'NULL' : `'${deletedUserPlaceholderId}'`;
      await tx.$executeRawUnsafe(
        `UPDATE "${entry.table}" SET ${reference.column} = ${replacement} WHERE ${bindingBoth(notOwnedReference(entry, reference.column))}`,
        scope.userId,
        scope.soleCompanyIds,
      );
    }
  }

  const deleted: Record<string, number> = {};
  for (const entry of accountTables) {
    if (entry.owned === null) {
      continue;
    }
    deleted[entry.table] = await tx.$executeRawUnsafe(
      `DELETE FROM "${entry.table}" WHERE ${bindingBoth(entry.owned)}`,
      scope.userId,
      scope.soleCompanyIds,
    );
  }

  return deleted;
}

/** Whether any row keeps the user's id in a column that must then point at the placeholder user. */
async function namedInPlaceholderColumns(tx: Transaction, scope: AccountScope): Promise<boolean> {
  for (const entry of accountTables) {
    for (const reference of entry.references ?? []) {
      if (reference.replacement !== 'placeholder') {
        continue;
      }
      const found = await tx.$queryRawUnsafe<unknown[]>(
        `SELECT 1 FROM "${entry.table}" WHERE ${bindingBoth(notOwnedReference(entry, reference.column))} LIMIT 1`,
        scope.userId,
        scope.soleCompanyIds,
      );
      if (found.length > 0) {
        return true;
      }
    }
  }

  return false;
}

/** Builds a text[] literal of the entry's secret columns; names come from the table map, never from input. */
function secretColumnsArray(entry: OwnedTable): string {
  return `ARRAY[${(entry.secretColumns ?? []).map((column) => `'${column}'`).join(', ')}]::text[]`;
}

/** Rows that name the user in `column` but stay, because the account does not own them. */
function notOwnedReference(entry: OwnedTable, column: string): string {
  return entry.owned === null ? `${column} = $1` : `${column} = $1 AND NOT COALESCE((${entry.owned}), false)`;
}

/** PostgreSQL rejects a parameter a statement never uses, so every condition mentions both. */
function bindingBoth(condition: string): string {
  return `(${condition}) AND $1::text IS NOT NULL AND $2::text[] IS NOT NULL`;
}
