import { execFile } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  createTokenVerifier,
  loadOrCreateLocalKey,
  localAudience,
  localIssuer,
  mintLocalToken,
  type Principal,
} from '../api/auth';
import { loadConfig } from '../lib/config';
import {
  DEMO_ADMIN_USER_ID,
  DEMO_AUDITOR_USER_ID,
  DEMO_ORGANIZATION_ID,
  DEMO_PROSPECT_ID,
  DEMO_REP_USER_ID,
  OTHER_ORGANIZATION_ID,
  OTHER_REP_USER_ID,
} from '../prisma/seed';
import { type MeetingState, meetingWorkflowId } from '../workflows/meeting-lifecycle';
import { startTestStack, type TestStack } from './support/stack';

// The API as its users meet it: authentication, organisation scoping, roles, request validation, headers,
// rate limits, cancelling, health checks and the local token command, against the real app, PostgreSQL and
// Temporal. Every meeting here is scheduled an hour ahead, so no bot is ever asked for.

const execFileAsync = promisify(execFile);
const repositoryRoot = path.resolve(__dirname, '..');

const rep: Principal = { userId: DEMO_REP_USER_ID, organizationId: DEMO_ORGANIZATION_ID, role: 'rep' };
const admin: Principal = { userId: DEMO_ADMIN_USER_ID, organizationId: DEMO_ORGANIZATION_ID, role: 'admin' };
const auditor: Principal = { userId: DEMO_AUDITOR_USER_ID, organizationId: DEMO_ORGANIZATION_ID, role: 'auditor' };
const otherRep: Principal = { userId: OTHER_REP_USER_ID, organizationId: OTHER_ORGANIZATION_ID, role: 'rep' };

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.stop();
});

/** The JSON bodies the API returns, as far as these tests read them. */
interface ApiReply {
  error?: { code: string; message: string };
  meeting?: { id: string; status: string; botId: string | null };
  meetingId?: string;
  status?: string;
  checks?: Record<string, string>;
}

type ApiResponse = { status: number; body: ApiReply; headers: Headers };

/** Calls `target`'s API through the stack helper and types the reply. */
async function callApi(
  target: TestStack,
  method: string,
  requestPath: string,
  options?: Parameters<TestStack['request']>[2],
): Promise<ApiResponse> {
  const response = await target.request(method, requestPath, options);

  return { status: response.status, body: (response.body as ApiReply | undefined) ?? {}, headers: response.headers };
}

function meetingBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    meetingUrl: `https://zoom.us/j/${randomInt(1e9, 1e10)}`,
    joinAt: new Date(Date.now() + 60 * 60_000).toISOString(),
    title: 'Discovery call',
    ...overrides,
  };
}

async function scheduleMeeting(principal: Principal = rep): Promise<string> {
  const created = await callApi(stack, 'POST', '/api/meetings', { principal, body: meetingBody() });
  expect(created.status).toBe(201);

  return created.body.meeting!.id;
}

/** Calls the API with raw headers, for requests `stack.request` cannot shape. */
async function rawRequest(url: string, init: RequestInit = {}): Promise<ApiResponse> {
  const response = await fetch(url, init);
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.includes('application/json') ?? false;
  const body = (isJson && text !== '' ? JSON.parse(text) : {}) as ApiReply;

  return { status: response.status, body, headers: response.headers };
}

function expectError(response: ApiResponse, status: number, code: string): void {
  expect(response.status).toBe(status);
  expect(response.body.error?.code).toBe(code);
  expect(response.body.error?.message).toBeTypeOf('string');
  expect(response.body.error?.message.length).toBeGreaterThan(0);
}

describe('authentication', () => {
  test('missing token is rejected', async () => {
    expectError(await callApi(stack, 'GET', `/api/meetings/${randomUUID()}`), 401, 'unauthenticated');
  });

  test.each([['Bearer not-a-jwt'], ['Bearer a.b.c'], ['Token abc'], ['Bearer']])(
    'malformed authorization header "%s" is rejected',
    async (authorization) => {
      const response = await rawRequest(`${stack.apiUrl}/api/meetings/${randomUUID()}`, { headers: { authorization } });

      expectError(response, 401, 'unauthenticated');
    },
  );

  test('expired token is rejected', async () => {
    const { kid, privateJwk } = await loadOrCreateLocalKey(stack.config);
    const nowSeconds = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ org_id: DEMO_ORGANIZATION_ID, org_role: 'org:rep' })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setSubject(DEMO_REP_USER_ID)
      .setIssuer(localIssuer)
      .setAudience(localAudience)
      .setIssuedAt(nowSeconds - 3600)
      .setExpirationTime(nowSeconds - 60)
      .sign(await importJWK(privateJwk, 'ES256'));

    expectError(
      await callApi(stack, 'GET', `/api/meetings/${randomUUID()}`, { token: expired }),
      401,
      'unauthenticated',
    );
  });

  test('token signed by another key is rejected', async () => {
    const { kid } = await loadOrCreateLocalKey(stack.config);
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ org_id: DEMO_ORGANIZATION_ID, org_role: 'org:admin' })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setSubject(DEMO_ADMIN_USER_ID)
      .setIssuer(localIssuer)
      .setAudience(localAudience)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);

    expectError(
      await callApi(stack, 'GET', `/api/meetings/${randomUUID()}`, { token: forged }),
      401,
      'unauthenticated',
    );
  });

  test('valid local token is accepted', async () => {
    const response = await callApi(stack, 'GET', `/api/meetings/${randomUUID()}`, { principal: rep });

    // Not found rather than unauthenticated: the token got the request as far as the meeting look-up.
    expectError(response, 404, 'not_found');
  });
});

describe('organisation scoping', () => {
  let meetingId: string;

  beforeAll(async () => {
    meetingId = await scheduleMeeting(rep);
  });

  test.each([
    ['GET', ''],
    ['GET', '/intelligence'],
    ['POST', '/cancel'],
  ])('other organisation gets 404 for %s meeting%s', async (method, suffix) => {
    const response = await callApi(stack, method, `/api/meetings/${meetingId}${suffix}`, { principal: otherRep });

    expectError(response, 404, 'not_found');
  });

  test('other organisation cannot cancel the meeting', async () => {
    await callApi(stack, 'POST', `/api/meetings/${meetingId}/cancel`, { principal: otherRep });
    const state = await stack.temporal.workflow
      .getHandle(meetingWorkflowId(meetingId))
      .query<MeetingState>('meetingState');
    const own = await callApi(stack, 'GET', `/api/meetings/${meetingId}`, { principal: rep });

    expect(state.status).toBe('scheduled');
    expect(own.status).toBe(200);
    expect(own.body.meeting?.status).toBe('scheduled');
  });
});

describe('roles', () => {
  let meetingId: string;

  beforeAll(async () => {
    meetingId = await scheduleMeeting(admin);
  });

  test('auditor cannot create a meeting', async () => {
    const before = await stack.database.prisma.meeting.count();
    const response = await callApi(stack, 'POST', '/api/meetings', { principal: auditor, body: meetingBody() });

    expectError(response, 403, 'forbidden');
    expect(await stack.database.prisma.meeting.count()).toBe(before);
  });

  test('auditor cannot cancel a meeting', async () => {
    const response = await callApi(stack, 'POST', `/api/meetings/${meetingId}/cancel`, { principal: auditor });
    const state = await stack.temporal.workflow
      .getHandle(meetingWorkflowId(meetingId))
      .query<MeetingState>('meetingState');

    expectError(response, 403, 'forbidden');
    expect(state.status).toBe('scheduled');
  });

  test('auditor can read a meeting and its intelligence', async () => {
    const meeting = await callApi(stack, 'GET', `/api/meetings/${meetingId}`, { principal: auditor });
    const intelligence = await callApi(stack, 'GET', `/api/meetings/${meetingId}/intelligence`, { principal: auditor });

    expect(meeting.status).toBe(200);
    expect(meeting.body.meeting?.id).toBe(meetingId);
    expect(intelligence.status).toBe(200);
    expect(intelligence.body.meetingId).toBe(meetingId);
    expect(intelligence.body.status).toBe('pending');
  });
});

describe('meeting request validation', () => {
  test.each([
    ['bad URL', { meetingUrl: 'not a url' }, 'meetingUrl'],
    ['non-HTTP URL', { meetingUrl: 'javascript:alert(1)' }, 'meetingUrl'],
    ['unknown mode', { mode: 'shadow' }, 'mode'],
    ['extra field', { organizationId: OTHER_ORGANIZATION_ID }, 'organizationId'],
    ['bad joinAt', { joinAt: 'next tuesday' }, 'joinAt'],
    ['joinAt without offset', { joinAt: '2030-01-01T10:00:00' }, 'joinAt'],
  ])('%s is rejected naming the field', async (_case, overrides, field) => {
    const before = await stack.database.prisma.meeting.count();
    const response = await callApi(stack, 'POST', '/api/meetings', { principal: rep, body: meetingBody(overrides) });

    expectError(response, 400, 'invalid_request');
    expect(response.body.error?.message).toContain(field);
    expect(await stack.database.prisma.meeting.count()).toBe(before);
  });

  test('body that is not JSON is rejected', async () => {
    const token = await stack.tokenFor(rep);
    const response = await rawRequest(`${stack.apiUrl}/api/meetings`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"meetingUrl": ',
    });

    expectError(response, 400, 'invalid_json');
  });
});

describe('prospects', () => {
  test('rep lists only their company prospects', async () => {
    const own = await callApi(stack, 'GET', '/api/prospects', { principal: rep });
    const other = await callApi(stack, 'GET', '/api/prospects', { principal: otherRep });

    expect(own.status).toBe(200);
    const ownIds = (own.body as { prospects: Array<{ id: string }> }).prospects.map((prospect) => prospect.id);
    expect(ownIds).toContain(DEMO_PROSPECT_ID);
    expect(other.status).toBe(200);
    const otherIds = (other.body as { prospects: Array<{ id: string }> }).prospects.map((prospect) => prospect.id);
    expect(otherIds).not.toContain(DEMO_PROSPECT_ID);
  });
});

describe('routes and headers', () => {
  test('unknown route returns JSON 404', async () => {
    const api = await callApi(stack, 'GET', '/api/no-such-route', { principal: rep });
    const root = await rawRequest(`${stack.apiUrl}/no-such-page`);

    expectError(api, 404, 'not_found');
    expectError(root, 404, 'not_found');
    expect(root.headers.get('content-type')).toContain('application/json');
  });

  test.each([
    ['health check', '/healthz', undefined],
    ['API response', `/api/meetings/${randomUUID()}`, rep],
    ['unknown route', '/no-such-page', undefined],
  ])('security headers are sent on %s', async (_case, requestPath, principal) => {
    const { headers } = await callApi(stack, 'GET', requestPath, { principal });
    const csp = headers.get('content-security-policy') ?? '';

    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(headers.get('strict-transport-security')).toMatch(/max-age=\d{8,}/);
    expect(headers.get('x-frame-options')).toBe('DENY');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
    expect(headers.get('x-powered-by')).toBeNull();
  });

  test('health check returns ok', async () => {
    const response = await callApi(stack, 'GET', '/healthz');

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  test('readiness check reports database and Temporal', async () => {
    const response = await callApi(stack, 'GET', '/readyz');

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ready', checks: { database: 'ok', temporal: 'ok' } });
  });
});

describe('cancelling a scheduled meeting', () => {
  test('cancel ends the workflow without a bot, and a second cancel conflicts', async () => {
    const meetingId = await scheduleMeeting(rep);
    const handle = stack.temporal.workflow.getHandle(meetingWorkflowId(meetingId));

    const cancelled = await callApi(stack, 'POST', `/api/meetings/${meetingId}/cancel`, { principal: rep });
    expect(cancelled.status).toBe(202);
    expect(cancelled.body).toEqual({ meetingId, status: 'cancelling' });

    const result = (await handle.result()) as MeetingState;
    expect(result.status).toBe('cancelled');
    expect(result.botId).toBeUndefined();
    const meeting = await callApi(stack, 'GET', `/api/meetings/${meetingId}`, { principal: rep });
    expect(meeting.body.meeting?.status).toBe('cancelled');
    expect(meeting.body.meeting?.botId).toBeNull();

    const journal = (await (await fetch(`${stack.sandbox.url}/_sandbox/requests?provider=recall`)).json()) as Array<{
      method: string;
      path: string;
    }>;
    expect(journal.filter((entry) => entry.method === 'POST' && entry.path.includes('/bot'))).toEqual([]);
    const audit = await stack.database.prisma.auditEvent.count({
      where: { subjectId: meetingId, action: 'meeting.cancel_requested' },
    });
    expect(audit).toBe(1);

    const again = await callApi(stack, 'POST', `/api/meetings/${meetingId}/cancel`, { principal: rep });
    expectError(again, 409, 'conflict');
  });
});

describe('local token command', () => {
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'sales-blitz-token-'));
  });

  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  async function runTokenCommand(env: Record<string, string>) {
    const args = [
      'tsx',
      'scripts/token.ts',
      '--user',
      DEMO_REP_USER_ID,
      '--org',
      DEMO_ORGANIZATION_ID,
      '--role',
      'rep',
    ];
    try {
      const { stdout, stderr } = await execFileAsync('npx', args, {
        cwd: repositoryRoot,
        env: { ...process.env, ...env },
      });

      return { exitCode: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };

      return { exitCode: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
    }
  }

  test('token command refuses in production', async () => {
    const result = await runTokenCommand({ NODE_ENV: 'production', DATA_DIR: dataDir });

    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('NODE_ENV=production');
    expect(result.stdout).toBe('');
  });

  test('token command prints a token the API accepts', async () => {
    const meetingId = await scheduleMeeting(rep);
    const result = await runTokenCommand({ NODE_ENV: 'development', DATA_DIR: stack.config.DATA_DIR });

    expect(result.exitCode).toBe(0);
    const token = result.stdout.trim();
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const response = await callApi(stack, 'GET', `/api/meetings/${meetingId}`, { token });
    expect(response.status).toBe(200);
    expect(response.body.meeting?.id).toBe(meetingId);
  });

  test('production verifier needs a JWKS URL or public key', async () => {
    const config = loadConfig({ NODE_ENV: 'production', DATA_DIR: dataDir });

    await expect(createTokenVerifier(config)).rejects.toThrow(/AUTH_JWKS_URL or AUTH_PUBLIC_KEY/);
    await expect(mintLocalToken(config, rep)).rejects.toThrow(/NODE_ENV=production/);
  });
});

/** Serves one JWKS document on a free loopback port, as an identity provider's well-known endpoint would. */
async function serveJwks(jwks: unknown): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    if (request.url !== '/.well-known/jwks.json') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  return { server, url: `http://127.0.0.1:${port}/.well-known/jwks.json` };
}

// A second stack that verifies tokens against an identity provider's JWKS, as production does. Its limits
// are 3 requests a minute, so a few requests reach them.
describe('identity provider tokens and rate limits', () => {
  const perMinute = 3;
  const kid = 'identity-provider-key-1';
  let limited: TestStack;
  let jwks: { server: Server; url: string };
  let signingKey: CryptoKey;

  beforeAll(async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    signingKey = privateKey;
    jwks = await serveJwks({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }] });
    limited = await startTestStack({
      withoutWorker: true,
      rateLimits: { apiPerMinute: perMinute, webhookPerMinute: perMinute },
      env: { AUTH_JWKS_URL: jwks.url },
    });
  });

  afterAll(async () => {
    await limited?.stop();
    await new Promise((resolve) => jwks?.server.close(resolve));
  });

  /** Signs a token with Clerk's v2 session claims, where the organisation sits under `o`. */
  function identityProviderToken(userId: string, organization: { id: string; rol: string }): Promise<string> {
    return new SignJWT({ o: organization })
      .setProtectedHeader({ alg: 'RS256', kid })
      .setSubject(userId)
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(signingKey);
  }

  test('JWKS token with Clerk v2 claims is accepted', async () => {
    const token = await identityProviderToken('user_idp_admin', { id: DEMO_ORGANIZATION_ID, rol: 'admin' });

    const created = await callApi(limited, 'POST', '/api/meetings', { token, body: meetingBody() });
    expect(created.status).toBe(201);
    const row = await limited.database.prisma.meeting.findUniqueOrThrow({ where: { id: created.body.meeting!.id } });
    expect(row.createdById).toBe('user_idp_admin');
    expect(row.organizationId).toBe(DEMO_ORGANIZATION_ID);
    const membership = await limited.database.prisma.membership.findFirstOrThrow({
      where: { userId: 'user_idp_admin' },
    });
    expect(membership.role).toBe('admin');
  });

  test('local token is rejected when JWKS is configured', async () => {
    const localToken = await mintLocalToken(limited.config, rep);

    expectError(
      await callApi(limited, 'GET', `/api/meetings/${randomUUID()}`, { token: localToken }),
      401,
      'unauthenticated',
    );
  });

  test('API requests over the limit get 429', async () => {
    const token = await identityProviderToken('user_idp_busy_rep', { id: DEMO_ORGANIZATION_ID, rol: 'org:member' });
    const statuses: number[] = [];
    for (let attempt = 0; attempt < perMinute; attempt += 1) {
      statuses.push((await callApi(limited, 'GET', `/api/meetings/${randomUUID()}`, { token })).status);
    }
    const overLimit = await callApi(limited, 'GET', `/api/meetings/${randomUUID()}`, { token });
    const otherUser = await callApi(limited, 'GET', `/api/meetings/${randomUUID()}`, {
      token: await identityProviderToken('user_idp_quiet_rep', { id: DEMO_ORGANIZATION_ID, rol: 'rep' }),
    });

    expect(statuses).toEqual(Array(perMinute).fill(404));
    expectError(overLimit, 429, 'rate_limited');
    expect(overLimit.headers.get('content-type')).toContain('application/json');
    expect(overLimit.headers.get('ratelimit-policy')).toContain(`${perMinute}`);
    // The API limit counts per user, so another user of the same address is still served.
    expect(otherUser.status).toBe(404);
  });

  test('unauthenticated requests over the limit get 429', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt <= perMinute; attempt += 1) {
      statuses.push((await callApi(limited, 'GET', `/api/meetings/${randomUUID()}`, { token: 'not-a-jwt' })).status);
    }

    // Earlier tests in this block also sent rejected tokens from this address, so the limit may come sooner.
    expect(statuses[0]).toBe(401);
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.every((status) => status === 401 || status === 429)).toBe(true);
  });

  test('webhook deliveries over the limit get 429', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < perMinute; attempt += 1) {
      const response = await rawRequest(`${limited.apiUrl}/webhooks/recall`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      statuses.push(response.status);
    }
    const overLimit = await rawRequest(`${limited.apiUrl}/webhooks/recall`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });

    expect(statuses).toEqual(Array(perMinute).fill(401));
    expectError(overLimit, 429, 'rate_limited');
  });
});

describe('baseline rate limit', () => {
  test('every route answers 429 past the ceiling', async () => {
    const { default: express } = await import('express');
    const { baselineRateLimit } = await import('../api/security');
    const app = express();
    app.use(baselineRateLimit(5));
    app.get('/healthz', (_request, response) => {
      response.json({ status: 'ok' });
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as { port: number };

    try {
      const statuses: number[] = [];
      for (let index = 0; index < 6; index++) {
        statuses.push((await fetch(`http://127.0.0.1:${port}/healthz`)).status);
      }
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      expect(statuses[5]).toBe(429);
    } finally {
      server.close();
    }
  });
});
