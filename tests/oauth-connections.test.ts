import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Principal } from '../api/auth';
import { withUserScope } from '../lib/oauth/rls';
import { issueState } from '../lib/oauth/state';
import { resolveTokenEncryptionKeys } from '../lib/oauth/token-crypto';
import { createOAuthTokenVault } from '../lib/oauth/token-vault';
import { createOAuthProviderClients } from '../lib/oauth/provider-clients';
import type { TOAuthProvider } from '../lib/oauth/types';
import { DEMO_ADMIN_USER_ID, DEMO_ORGANIZATION_ID, DEMO_REP_USER_ID } from '../prisma/seed';
import { oauthReconnectedSignal } from '../workflows/e-signature';
import { startTestStack, type TestStack } from './support/stack';

// Connecting, reconnecting and disconnecting providers as a rep does it in the browser: the API hands out
// the authorize URL and a binding cookie, the sandbox's OAuth server approves and redirects, and the public
// callback stores the connection. The stack's worker does not run here; a reconnect's signal is read from
// the history of a workflow no worker polls.

const rep: Principal = { userId: DEMO_REP_USER_ID, organizationId: DEMO_ORGANIZATION_ID, role: 'rep' };
const admin: Principal = { userId: DEMO_ADMIN_USER_ID, organizationId: DEMO_ORGANIZATION_ID, role: 'admin' };

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ withoutWorker: true });
});

afterAll(async () => {
  await stack?.stop();
});

interface AuthorizeStart {
  authorizeUrl: URL;
  cookie: string;
}

async function startAuthorize(principal: Principal, provider: TOAuthProvider): Promise<AuthorizeStart> {
  const response = await fetch(`${stack.apiUrl}/api/connections/${provider}/authorize`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${await stack.tokenFor(principal)}` },
  });
  expect(response.status).toBe(200);
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0]!;
  expect(cookie).toMatch(/^sb_oauth_binding=/);

  return { authorizeUrl: new URL(((await response.json()) as { url: string }).url), cookie };
}

/** Follows the sandbox's authorize redirect; returns the callback URL it points the browser to. */
async function approveAtProvider(authorizeUrl: URL): Promise<string> {
  const response = await fetch(authorizeUrl, { redirect: 'manual' });
  expect(response.status).toBe(302);

  return response.headers.get('location')!;
}

/** Opens the callback as the browser would; returns where the API sends the browser next. */
async function openCallback(callbackUrl: string, cookie: string): Promise<string> {
  const response = await fetch(callbackUrl, { redirect: 'manual', headers: { Cookie: cookie } });
  expect(response.status).toBe(302);

  return response.headers.get('location')!;
}

async function connect(principal: Principal, provider: TOAuthProvider): Promise<string> {
  const { authorizeUrl, cookie } = await startAuthorize(principal, provider);

  return openCallback(await approveAtProvider(authorizeUrl), cookie);
}

interface ConnectionsReply {
  connections: { provider: string; status: string; externalAccount: string | null; connectedAt: string }[];
}

async function connectionsOf(principal: Principal): Promise<ConnectionsReply['connections']> {
  const reply = await stack.request('GET', '/api/connections', { principal });
  expect(reply.status).toBe(200);

  return (reply.body as ConnectionsReply).connections;
}

describe('connect', () => {
  test('approved connection shows as active', async () => {
    const next = await connect(rep, 'gmail');

    expect(next).toBe('/settings?connected=gmail');
    const connections = await connectionsOf(rep);
    expect(connections).toEqual([
      expect.objectContaining({ provider: 'gmail', status: 'active', externalAccount: 'rep@northwind.example' }),
    ]);
    const audit = await stack.database.prisma.auditEvent.findMany({
      where: { action: 'oauth.connected', actorUserId: rep.userId },
    });
    expect(audit.length).toBeGreaterThanOrEqual(1);
  });

  test('docusign stores the default account id', async () => {
    expect(await connect(rep, 'docusign')).toBe('/settings?connected=docusign');

    const docusign = (await connectionsOf(rep)).find((connection) => connection.provider === 'docusign');
    expect(docusign?.externalAccount).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('denied authorization stores nothing', async () => {
    const { authorizeUrl, cookie } = await startAuthorize(admin, 'pandadoc');
    authorizeUrl.searchParams.set('deny', '1');

    const next = await openCallback(await approveAtProvider(authorizeUrl), cookie);

    expect(next).toBe('/settings?connection_error=access_denied');
    expect(await connectionsOf(admin)).toEqual([]);
  });

  test('unknown provider is rejected', async () => {
    const reply = await stack.request('POST', '/api/connections/dropbox/authorize', { principal: rep });

    expect(reply.status).toBe(400);
    expect((reply.body as { error: { code: string } }).error.code).toBe('invalid_request');
  });

  test('auditor cannot start a connection', async () => {
    const auditor: Principal = { userId: 'user_demo_auditor', organizationId: DEMO_ORGANIZATION_ID, role: 'auditor' };

    const reply = await stack.request('POST', '/api/connections/gmail/authorize', { principal: auditor });

    expect(reply.status).toBe(403);
  });
});

describe('state', () => {
  test('reused state is rejected', async () => {
    const { authorizeUrl, cookie } = await startAuthorize(admin, 'pandadoc');
    const callbackUrl = await approveAtProvider(authorizeUrl);
    expect(await openCallback(callbackUrl, cookie)).toBe('/settings?connected=pandadoc');
    await stack.request('DELETE', '/api/connections/pandadoc', { principal: admin });

    const replay = await openCallback(callbackUrl, cookie);

    expect(replay).toBe('/settings?connection_error=state_used');
    expect(await connectionsOf(admin)).toEqual([]);
  });

  test('forged state is rejected', async () => {
    const { authorizeUrl, cookie } = await startAuthorize(admin, 'pandadoc');
    const state = authorizeUrl.searchParams.get('state')!;
    const [payload] = state.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, userId: rep.userId })).toString('base64url');
    authorizeUrl.searchParams.set('state', `${forgedPayload}.${state.split('.')[1]}`);

    const next = await openCallback(await approveAtProvider(authorizeUrl), cookie);

    expect(next).toBe('/settings?connection_error=invalid_state');
    expect(await connectionsOf(admin)).toEqual([]);
    expect((await connectionsOf(rep)).some((connection) => connection.provider === 'pandadoc')).toBe(false);
  });

  test('expired state is rejected', async () => {
    const { authorizeUrl } = await startAuthorize(admin, 'pandadoc');
    const keys = await resolveTokenEncryptionKeys(stack.config);
    const issued = issueState(
      keys,
      { userId: admin.userId, organizationId: admin.organizationId, provider: 'pandadoc' },
      Date.now() - 11 * 60 * 1000,
    );
    authorizeUrl.searchParams.set('state', issued.state);

    const next = await openCallback(await approveAtProvider(authorizeUrl), `sb_oauth_binding=${issued.browserBinding}`);

    expect(next).toBe('/settings?connection_error=state_expired');
    expect(await connectionsOf(admin)).toEqual([]);
  });

  test('state from another user rejected', async () => {
    // The admin starts; the link is completed in the rep's browser, which has the rep's own binding cookie.
    const adminStart = await startAuthorize(admin, 'pandadoc');
    const repStart = await startAuthorize(rep, 'pandadoc');

    const next = await openCallback(await approveAtProvider(adminStart.authorizeUrl), repStart.cookie);

    expect(next).toBe('/settings?connection_error=invalid_state');
    expect(await connectionsOf(admin)).toEqual([]);
    expect((await connectionsOf(rep)).some((connection) => connection.provider === 'pandadoc')).toBe(false);
  });

  test('state for another provider rejected', async () => {
    const { authorizeUrl, cookie } = await startAuthorize(admin, 'gmail');
    const callbackUrl = new URL(await approveAtProvider(authorizeUrl));
    callbackUrl.pathname = '/oauth/callback/pandadoc';

    expect(await openCallback(callbackUrl.toString(), cookie)).toBe('/settings?connection_error=invalid_state');
    expect(await connectionsOf(admin)).toEqual([]);
  });
});

describe('disconnect', () => {
  test('gmail disconnect revokes and deletes', async () => {
    await connect(admin, 'gmail');
    await fetch(`${stack.sandbox.url}/_sandbox/requests`, { method: 'DELETE' });

    const reply = await stack.request('DELETE', '/api/connections/gmail', { principal: admin });

    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ provider: 'gmail', revocation: 'revoked' });
    expect(await connectionsOf(admin)).toEqual([]);
    const journal = (await (await fetch(`${stack.sandbox.url}/_sandbox/requests?provider=oauth`)).json()) as {
      method: string;
      path: string;
    }[];
    expect(journal).toContainEqual(expect.objectContaining({ method: 'POST', path: '/oauth/google/revoke' }));
    const audit = await stack.database.prisma.auditEvent.findMany({
      where: { action: 'oauth.disconnected', actorUserId: admin.userId },
    });
    expect(audit.length).toBeGreaterThanOrEqual(1);
  });

  test('failed revocation still deletes', async () => {
    await connect(admin, 'gmail');
    await fetch(`${stack.sandbox.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ provider: 'oauth', fault: 'server_error', times: 1 }),
    });

    const reply = await stack.request('DELETE', '/api/connections/gmail', { principal: admin });

    expect(reply.body).toEqual({ provider: 'gmail', revocation: 'failed' });
    expect(await connectionsOf(admin)).toEqual([]);
  });

  test('docusign has no revocation endpoint', async () => {
    await connect(admin, 'docusign');

    const reply = await stack.request('DELETE', '/api/connections/docusign', { principal: admin });

    expect(reply.body).toEqual({ provider: 'docusign', revocation: 'not_supported' });
    expect(await connectionsOf(admin)).toEqual([]);
  });

  test('missing connection is not found', async () => {
    const reply = await stack.request('DELETE', '/api/connections/pandadoc', { principal: admin });

    expect(reply.status).toBe(404);
  });
});

describe('reconnect', () => {
  test('invalid_grant then reconnect resumes', async () => {
    await connect(rep, 'pandadoc');
    const proposalId = await createApprovedProposal();
    const workflowId = `signature-${proposalId}`;
    // A stand-in for the e-signature workflow: started on a task queue no worker polls, so its history
    // records the signals it is sent and nothing else.
    await stack.temporal.workflow.start('eSignature', { taskQueue: 'oauth-test-unpolled', workflowId, args: [] });
    await expireAccessToken(rep.userId, 'pandadoc');
    await fetch(`${stack.sandbox.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ provider: 'oauth', fault: 'invalid_grant', times: 1 }),
    });
    const vault = createOAuthTokenVault({
      prisma: stack.database.prisma,
      keys: await resolveTokenEncryptionKeys(stack.config),
      providers: createOAuthProviderClients(stack.config),
    });

    await expect(vault.accessToken(rep.userId, 'pandadoc')).rejects.toThrow(/connected again/);
    const needing = (await connectionsOf(rep)).find((connection) => connection.provider === 'pandadoc');
    expect(needing?.status).toBe('needs_reconnect');
    expect(await reconnectSignals(workflowId)).toEqual([]);

    expect(await connect(rep, 'pandadoc')).toBe('/settings?connected=pandadoc');

    const reconnected = (await connectionsOf(rep)).find((connection) => connection.provider === 'pandadoc');
    expect(reconnected?.status).toBe('active');
    expect((await vault.accessToken(rep.userId, 'pandadoc')).accessToken).toMatch(/^pandadoc_at_/);
    expect(await reconnectSignals(workflowId)).toEqual([{ provider: 'pandadoc' }]);
    await stack.temporal.workflow.getHandle(workflowId).terminate('test finished');
  });
});

async function expireAccessToken(userId: string, provider: TOAuthProvider): Promise<void> {
  await withUserScope(stack.database.prisma, userId, (tx) =>
    tx.oAuthConnection.update({
      where: { userId_provider: { userId, provider } },
      data: { accessTokenExpiresAt: new Date(Date.now() + 60_000) },
    }),
  );
}

async function createApprovedProposal(): Promise<string> {
  const prisma = stack.database.prisma;
  const meeting = await prisma.meeting.create({
    data: {
      organizationId: DEMO_ORGANIZATION_ID,
      createdById: rep.userId,
      platform: 'zoom',
      meetingUrl: 'https://zoom.us/j/1234567890',
      mode: 'record_only',
      joinAt: new Date(),
    },
  });
  const proposal = await prisma.proposal.create({
    data: { organizationId: DEMO_ORGANIZATION_ID, meetingId: meeting.id, repUserId: rep.userId, status: 'approved' },
  });

  return proposal.id;
}

async function reconnectSignals(workflowId: string): Promise<unknown[]> {
  const history = await stack.temporal.workflow.getHandle(workflowId).fetchHistory();
  const signals: unknown[] = [];
  for (const event of history.events ?? []) {
    const signaled = event.workflowExecutionSignaledEventAttributes;
    if (signaled?.signalName !== oauthReconnectedSignal.name) continue;
    const [payload] = await stack.payloadCodec.decode(signaled.input?.payloads ?? []);
    signals.push(JSON.parse(Buffer.from(payload?.data ?? []).toString('utf8')));
  }

  return signals;
}
