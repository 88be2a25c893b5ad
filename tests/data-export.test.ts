import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../api/auth';
import { dataExportWorkflowId } from '../workflows/data-export';
import { publicTables, type SeededAccount, seedAccount } from './support/account-seed';
import { recordAndReplayHistory } from './support/record-history';
import { startTestStack, type TestStack, testWorkflowBundle } from './support/stack';
import { waitFor } from './support/wait';

// A user asks for an export through the API, gets the link by email (the Resend sandbox's outbox) and
// downloads the archive, which must hold every seeded row of the account in every table and nothing of another.

let stack: TestStack;
let exporter: SeededAccount;
let other: SeededAccount;
let principal: Principal;

interface ExportBody {
  export: { id: string; status: string; linkExpiresAt: string | null };
}

beforeAll(async () => {
  stack = await startTestStack();
  const prisma = stack.testDatabase!.prisma;
  exporter = await seedAccount(prisma, 'exporter');
  other = await seedAccount(prisma, 'bystander');
  principal = { userId: exporter.userId, organizationId: exporter.organizationId, role: 'admin' };
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

async function requestExportLink(): Promise<{ exportId: string; token: string }> {
  const created = await stack.request('POST', '/api/account/exports', { principal });
  expect(created.status).toBe(202);
  const exportId = (created.body as ExportBody).export.id;
  await waitFor(
    async () => (await stack.request('GET', `/api/account/exports/${exportId}`, { principal })).body as ExportBody,
    (body) => body.export.status === 'ready',
    'the export to be ready',
  );
  const emails = (await (
    await fetch(`${stack.sandbox.url}/_sandbox/resend/emails?to=${encodeURIComponent(exporter.email)}`)
  ).json()) as Array<{ text?: string }>;
  const token = emails.at(-1)?.text?.match(/\/exports\/([A-Za-z0-9_-]{43})/)?.[1];
  expect(token).toBeDefined();

  return { exportId, token: token! };
}

describe('data export', () => {
  it('archive holds every table of the account', async () => {
    const { exportId, token } = await requestExportLink();

    const download = await fetch(`${stack.apiUrl}/exports/${token}`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/gzip');
    const archive = JSON.parse(gunzipSync(Buffer.from(await download.arrayBuffer())).toString('utf8')) as {
      tables: Record<string, Array<Record<string, unknown>>>;
    };

    const missing = exporter.rows.filter(
      (row) => !(archive.tables[row.table] ?? []).some((exported) => String(exported[row.column]) === row.value),
    );
    // A retention run holds counts only and belongs to no account.
    expect(missing.map((row) => row.table)).toEqual(['retention_runs']);
    const tables = await publicTables(stack.testDatabase!.prisma);
    expect(Object.keys(archive.tables).sort()).toEqual(tables.filter((table) => table !== 'retention_runs'));
    const text = JSON.stringify(archive);
    expect(text).not.toContain(other.userId);
    expect(text).not.toContain(other.organizationId);
    const workflowId = dataExportWorkflowId(exportId);
    await stack.temporal.workflow.getHandle(workflowId).result();
    await recordAndReplayHistory(stack.temporal, workflowId, await testWorkflowBundle(), stack.payloadCodec);
  });

  it('archive leaves out tokens and hashes', async () => {
    const { token } = await requestExportLink();

    const download = await fetch(`${stack.apiUrl}/exports/${token}`);
    const archive = JSON.parse(gunzipSync(Buffer.from(await download.arrayBuffer())).toString('utf8')) as {
      tables: Record<string, Array<Record<string, unknown>>>;
    };

    const [connection] = archive.tables.oauth_connections ?? [];
    expect(connection).toMatchObject({ provider: 'gmail', user_id: exporter.userId });
    expect(connection).not.toHaveProperty('access_token_ciphertext');
    expect(archive.tables.signing_requests?.[0]).not.toHaveProperty('token_hash');
    expect(JSON.stringify(archive.tables.data_exports)).not.toContain('"archive"');
  });

  it('unknown and expired links are not found', async () => {
    const { exportId, token } = await requestExportLink();

    expect((await fetch(`${stack.apiUrl}/exports/${'A'.repeat(43)}`)).status).toBe(404);
    await stack.testDatabase!.prisma.dataExport.update({ where: { id: exportId }, data: { expiresAt: new Date(0) } });
    const expired = await fetch(`${stack.apiUrl}/exports/${token}`);
    expect(expired.status).toBe(404);
    expect(((await expired.json()) as { error: { code: string } }).error.code).toBe('not_found');
  });

  it('another user cannot read the export', async () => {
    const created = await stack.request('POST', '/api/account/exports', { principal });
    const exportId = (created.body as ExportBody).export.id;
    const stranger: Principal = { userId: other.userId, organizationId: other.organizationId, role: 'admin' };

    expect((await stack.request('GET', `/api/account/exports/${exportId}`, { principal: stranger })).status).toBe(404);
  });
});
