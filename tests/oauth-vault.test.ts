import { randomBytes } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig, type TConfig } from '../lib/config';
import { AppError } from '../lib/errors';
import { createLogger } from '../lib/logger';
import { PrismaClient } from '../lib/generated/prisma/client';
import { createOAuthProviderClients, type OAuthProviderClients } from '../lib/oauth/provider-clients';
import { withUserScope } from '../lib/oauth/rls';
import { decryptToken, parseTokenEncryptionKeys, type TokenEncryptionKeys } from '../lib/oauth/token-crypto';
import { createOAuthTokenVault, encryptTokenColumns, type ReconnectNotice } from '../lib/oauth/token-vault';
import { OAuthReconnectRequiredError, type TOAuthProvider } from '../lib/oauth/types';
import { type RunningSandbox, startSandbox } from '../sandbox/server';
import { createTestDatabase, type TestDatabase } from './support/database';

// The token vault against real PostgreSQL (connected as the non-superuser test role, so row-level security
// applies) and the sandbox's OAuth servers over HTTP: encryption at rest, key rotation, row-level security,
// refresh before expiry, and the invalid_grant path.

const organizationId = 'org_vault';
const userA = 'user_vault_a';
const userB = 'user_vault_b';

let database: TestDatabase;
let sandbox: RunningSandbox;
let config: TConfig;
let providers: OAuthProviderClients;

const keyEntry = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
const oldKeyEntry = keyEntry('old');
const newKeyEntry = keyEntry('new');
const oldKeys = parseTokenEncryptionKeys(oldKeyEntry);
const rotatedKeys = parseTokenEncryptionKeys(`${newKeyEntry},${oldKeyEntry}`);

beforeAll(async () => {
  database = await createTestDatabase();
  sandbox = await startSandbox({
    port: 0,
    log: createLogger({ level: 'silent', pretty: false }),
    recallWebhookUrl: 'http://127.0.0.1:9/webhooks/recall',
    recallWebhookSecret: `whsec_${randomBytes(24).toString('base64')}`,
  });
  config = { ...loadConfig({ NODE_ENV: 'test' }), sandboxUrl: sandbox.url };
  providers = createOAuthProviderClients(config);
  await database.prisma.organization.create({ data: { id: organizationId, name: 'Vault Test Media' } });
  for (const id of [userA, userB]) {
    await database.prisma.user.create({ data: { id, email: `${id}@vault.example`, name: id } });
  }
});

afterAll(async () => {
  await sandbox?.close();
  await database?.drop();
});

/** Runs SQL over a plain `pg` connection (no Prisma), inside `userId`'s RLS scope or, with null, in none. */
async function rawQuery<T extends pg.QueryResultRow>(
  userId: string | null,
  sql: string,
  values: unknown[] = [],
): Promise<{ rows: T[]; rowCount: number }> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query('BEGIN');
    if (userId !== null) await client.query(`SELECT set_config('app.user_id', $1, true)`, [userId]);
    const result = await client.query<T>(sql, values);
    await client.query('COMMIT');

    return { rows: result.rows, rowCount: result.rowCount ?? 0 };
  } finally {
    await client.end();
  }
}

/** Connects `userId` to the provider through the sandbox's authorize and token endpoints, as the callback does. */
async function connectThroughSandbox(
  userId: string,
  provider: TOAuthProvider,
  keys: TokenEncryptionKeys,
  expiresInMs?: number,
) {
  const redirectUri = 'http://127.0.0.1:9/oauth/callback/test';
  const authorize = await fetch(providers[provider].authorizeUrl({ state: 's', redirectUri }), { redirect: 'manual' });
  const code = new URL(authorize.headers.get('location')!).searchParams.get('code')!;
  const tokens = await providers[provider].exchangeCode({ code, redirectUri });
  const expiresAtMs = Date.now() + (expiresInMs ?? tokens.expiresInSeconds * 1000);
  const columns = encryptTokenColumns(keys, { userId, provider }, tokens.accessToken, tokens.refreshToken, {
    expiresAtMs,
  });
  await withUserScope(database.prisma, userId, (tx) =>
    tx.oAuthConnection.upsert({
      where: { userId_provider: { userId, provider } },
      create: {
        userId,
        organizationId,
        provider,
        externalAccount: `${userId}@vault.example`,
        scopes: tokens.scopes,
        ...columns,
      },
      update: { status: 'active', ...columns },
    }),
  );

  return tokens;
}

describe('token storage', () => {
  test('token rows hold no plaintext', async () => {
    const tokens = await connectThroughSandbox(userA, 'gmail', oldKeys);

    const { rows } = await rawQuery<Record<string, unknown>>(
      userA,
      `SELECT * FROM oauth_connections WHERE user_id = $1`,
      [userA],
    );

    expect(rows).toHaveLength(1);
    const everyColumn = JSON.stringify(rows[0]);
    expect(everyColumn).not.toContain(tokens.accessToken);
    expect(everyColumn).not.toContain(tokens.refreshToken!);
    expect(rows[0]!.key_id).toBe('old');
    expect(rows[0]!.access_token_ciphertext).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });

  test('stored tokens decrypt to the issued ones', async () => {
    const tokens = await connectThroughSandbox(userA, 'docusign', oldKeys);
    const row = await withUserScope(database.prisma, userA, (tx) =>
      tx.oAuthConnection.findUniqueOrThrow({ where: { userId_provider: { userId: userA, provider: 'docusign' } } }),
    );
    const binding = { userId: userA, provider: 'docusign' } as const;

    expect(decryptToken(oldKeys, row.keyId, row.accessTokenCiphertext, { ...binding, kind: 'access' })).toBe(
      tokens.accessToken,
    );
    expect(decryptToken(oldKeys, row.keyId, row.refreshTokenCiphertext!, { ...binding, kind: 'refresh' })).toBe(
      tokens.refreshToken,
    );
    // Bound to its row: the same ciphertext read as another user's token fails authentication.
    expect(() =>
      decryptToken(oldKeys, row.keyId, row.accessTokenCiphertext, { ...binding, userId: userB, kind: 'access' }),
    ).toThrow();
  });

  test('rotated keys decrypt old rows', async () => {
    const tokens = await connectThroughSandbox(userA, 'pandadoc', oldKeys);
    const vault = createOAuthTokenVault({ prisma: database.prisma, keys: rotatedKeys, providers });

    const { accessToken } = await vault.accessToken(userA, 'pandadoc');

    expect(accessToken).toBe(tokens.accessToken);
    await connectThroughSandbox(userB, 'pandadoc', rotatedKeys);
    const newRow = await withUserScope(database.prisma, userB, (tx) =>
      tx.oAuthConnection.findUniqueOrThrow({ where: { userId_provider: { userId: userB, provider: 'pandadoc' } } }),
    );
    expect(newRow.keyId).toBe('new');
  });
});

describe('row-level security', () => {
  beforeAll(async () => {
    await connectThroughSandbox(userA, 'gmail', oldKeys);
  });

  test('test role is not a superuser', async () => {
    // Superusers bypass row-level security, so the tests below prove nothing under one.
    const { rows } = await rawQuery<{ rolsuper: boolean; rolbypassrls: boolean }>(
      null,
      'SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user',
    );

    expect(rows[0]).toEqual({ rolsuper: false, rolbypassrls: false });
  });

  test('another user sees no rows', async () => {
    const { rows } = await rawQuery(userB, `SELECT id FROM oauth_connections WHERE user_id = $1`, [userA]);

    expect(rows).toHaveLength(0);
  });

  test('no scope sees no rows', async () => {
    const { rows } = await rawQuery(null, 'SELECT id FROM oauth_connections');

    expect(rows).toHaveLength(0);
  });

  test('another user changes nothing', async () => {
    const updated = await rawQuery(
      userB,
      `UPDATE oauth_connections SET status = 'needs_reconnect' WHERE user_id = $1`,
      [userA],
    );
    const deleted = await rawQuery(userB, `DELETE FROM oauth_connections WHERE user_id = $1`, [userA]);

    expect(updated.rowCount).toBe(0);
    expect(deleted.rowCount).toBe(0);
    const { rows } = await rawQuery<{ status: string }>(
      userA,
      `SELECT status FROM oauth_connections WHERE user_id = $1 AND provider = 'gmail'`,
      [userA],
    );
    expect(rows).toEqual([{ status: 'active' }]);
  });

  test('insert for another user rejected', async () => {
    const insert = rawQuery(
      userB,
      `INSERT INTO oauth_connections (id, user_id, organization_id, provider, key_id, access_token_ciphertext, access_token_expires_at, updated_at, scopes)
       VALUES (gen_random_uuid(), $1, $2, 'pandadoc', 'k', 'x', now(), now(), '{}')`,
      [userA, organizationId],
    );

    await expect(insert).rejects.toThrow(/row-level security/);
  });

  test('vault under another user finds nothing', async () => {
    const vault = createOAuthTokenVault({ prisma: database.prisma, keys: oldKeys, providers });

    const error = await vault.accessToken(userB, 'gmail').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('oauth_not_connected');
  });
});

describe('refresh', () => {
  test('concurrent callers refresh once', async () => {
    const first = await connectThroughSandbox(userB, 'docusign', oldKeys, 60_000);
    // One Prisma client per caller, as separate worker processes would have, so nothing but the row lock
    // keeps their transactions apart.
    const clients = [1, 2, 3, 4].map(
      () => new PrismaClient({ adapter: new PrismaPg({ connectionString: database.url }) }),
    );
    const tokenRequestsBefore = await countSandboxRequests('/oauth/docusign/oauth/token');

    const results = await Promise.all(
      clients.map((prisma) =>
        createOAuthTokenVault({ prisma, keys: oldKeys, providers }).accessToken(userB, 'docusign'),
      ),
    ).finally(() => Promise.all(clients.map((prisma) => prisma.$disconnect())));

    expect(await countSandboxRequests('/oauth/docusign/oauth/token')).toBe(tokenRequestsBefore + 1);
    const handedOut = new Set(results.map((result) => result.accessToken));
    expect(handedOut.size).toBe(1);
    expect(handedOut.has(first.accessToken)).toBe(false);
    const row = await withUserScope(database.prisma, userB, (tx) =>
      tx.oAuthConnection.findUniqueOrThrow({ where: { userId_provider: { userId: userB, provider: 'docusign' } } }),
    );
    expect(row.accessTokenExpiresAt.getTime()).toBeGreaterThan(Date.now() + 60 * 60 * 1000);
    // DocuSign's stand-in rotates refresh tokens: the stored one must be the new one.
    const storedRefresh = decryptToken(oldKeys, row.keyId, row.refreshTokenCiphertext!, {
      userId: userB,
      provider: 'docusign',
      kind: 'refresh',
    });
    expect(storedRefresh).not.toBe(first.refreshToken);
  });

  test('token far from expiry is not refreshed', async () => {
    const first = await connectThroughSandbox(userB, 'gmail', oldKeys);
    const vault = createOAuthTokenVault({ prisma: database.prisma, keys: oldKeys, providers });

    const { accessToken } = await vault.accessToken(userB, 'gmail');

    expect(accessToken).toBe(first.accessToken);
  });

  test('invalid_grant marks needs_reconnect', async () => {
    await connectThroughSandbox(userA, 'pandadoc', oldKeys, 60_000);
    await fetch(`${sandbox.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ provider: 'oauth', fault: 'invalid_grant', times: 1 }),
    });
    const notices: ReconnectNotice[] = [];
    const vault = createOAuthTokenVault({
      prisma: database.prisma,
      keys: oldKeys,
      providers,
      notifyReconnectRequired: async (notice) => void notices.push(notice),
    });

    const error = await vault.accessToken(userA, 'pandadoc').catch((caught: unknown) => caught);
    const again = await vault.accessToken(userA, 'pandadoc').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(OAuthReconnectRequiredError);
    expect(again).toBeInstanceOf(OAuthReconnectRequiredError);
    const row = await withUserScope(database.prisma, userA, (tx) =>
      tx.oAuthConnection.findUniqueOrThrow({ where: { userId_provider: { userId: userA, provider: 'pandadoc' } } }),
    );
    expect(row.status).toBe('needs_reconnect');
    const audit = await database.prisma.auditEvent.findMany({
      where: { action: 'oauth.reconnect_required', subjectId: row.id },
    });
    expect(audit).toHaveLength(1);
    expect(notices.map((notice) => notice.email)).toEqual([`${userA}@vault.example`]);
  });

  test('revoked refresh token needs reconnect', async () => {
    const tokens = await connectThroughSandbox(userB, 'pandadoc', oldKeys, 60_000);
    await fetch(`${sandbox.url}/_sandbox/oauth/invalid-grant`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refreshToken: tokens.refreshToken }),
    });
    const vault = createOAuthTokenVault({ prisma: database.prisma, keys: oldKeys, providers });

    const error = await vault.accessToken(userB, 'pandadoc').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(OAuthReconnectRequiredError);
    expect((error as OAuthReconnectRequiredError).provider).toBe('pandadoc');
  });

  test('provider outage is a retryable error', async () => {
    await connectThroughSandbox(userA, 'gmail', oldKeys, 60_000);
    await fetch(`${sandbox.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ provider: 'oauth', fault: 'server_error', times: 1 }),
    });
    const vault = createOAuthTokenVault({ prisma: database.prisma, keys: oldKeys, providers });

    const error = await vault.accessToken(userA, 'gmail').catch((caught: unknown) => caught);
    const retried = await vault.accessToken(userA, 'gmail');

    expect(error).not.toBeInstanceOf(OAuthReconnectRequiredError);
    expect((error as Error).message).toMatch(/HTTP 503/);
    expect(retried.accessToken).toMatch(/^gmail_at_/);
  });
});

async function countSandboxRequests(path: string): Promise<number> {
  const response = await fetch(`${sandbox.url}/_sandbox/requests?provider=oauth`);
  const entries = (await response.json()) as { path: string }[];

  return entries.filter((entry) => entry.path === path).length;
}
