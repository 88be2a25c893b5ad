import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { eSignature, signatureStateQuery, signatureWorkflowId } from '../workflows/e-signature';
import {
  bundleSignatureWorkflow,
  createApprovedProposal,
  SandboxTokenVault,
  signatureActivities,
  type SignatureApi,
  startSignatureApi,
  startSignatureSandbox,
  testConfig,
} from './e-signature-harness';
import type { RunningSandbox } from '../sandbox/server';
import { createTestDatabase, type TestDatabase } from './support/database';
import { createTimeSkippingEnv } from './support/temporal';
import { waitFor } from './support/wait';

// The built-in signing page's API as a signer uses it: the link arrives in the cover email that the real
// e-signature workflow sent through the Gmail stand-in, and every request goes over HTTP.

let database: TestDatabase;
let env: TestWorkflowEnvironment;
let api: SignatureApi;
let sandbox: RunningSandbox;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `signing-api-${randomUUID()}`;

beforeAll(async () => {
  database = await createTestDatabase();
  env = await createTimeSkippingEnv();
  api = await startSignatureApi({ prisma: database.prisma, temporal: () => env.client, config: testConfig() });
  sandbox = await startSignatureSandbox(api.url);
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await bundleSignatureWorkflow(),
    activities: signatureActivities(database.prisma, sandbox.url, new SandboxTokenVault(sandbox.url), api.url),
  });
  running = worker.run();
}, 180_000);

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await sandbox?.close();
  await api?.close();
  await env?.teardown();
  await database?.drop();
});

/** Approves a proposal for built-in signing, runs its workflow, and returns the token from the emailed link. */
async function emailedSigningToken(): Promise<{ proposalId: string; token: string }> {
  const proposalId = await createApprovedProposal(database.prisma, 'built_in');
  await env.client.workflow.start(eSignature, {
    taskQueue,
    workflowId: signatureWorkflowId(proposalId),
    args: [{ proposalId, organizationId: 'org_demo' }],
  });
  await waitFor(
    () => env.client.workflow.getHandle(signatureWorkflowId(proposalId)).query(signatureStateQuery),
    (state) => state.status === 'sent',
    'the signing link to be sent',
  );
  const response = await fetch(`${sandbox.url}/_sandbox/gmail/messages`);
  const { messages } = (await response.json()) as { messages: Array<{ messageIdHeader: string; text: string }> };
  const email = messages.find((message) => message.messageIdHeader.includes(proposalId));
  const token = /\/sign\/([A-Za-z0-9_-]{43})/.exec(email?.text ?? '')?.[1];
  if (token === undefined) throw new Error(`no signing link was emailed for proposal ${proposalId}`);

  return { proposalId, token };
}

function sign(token: string, body: unknown, userAgent = 'SignerBrowser/2.0') {
  return fetch(`${api.url}/signing/${token}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': userAgent },
    body: JSON.stringify(body),
  });
}

async function errorOf(response: Response): Promise<{ status: number; code: string }> {
  const { error } = (await response.json()) as { error: { code: string } };

  return { status: response.status, code: error.code };
}

describe('built-in signing API', () => {
  test('reused link rejected with 410', async () => {
    const { token } = await emailedSigningToken();
    expect((await sign(token, { typedName: 'Dana Prospect', agree: true })).status).toBe(200);

    expect(await errorOf(await sign(token, { typedName: 'Dana Prospect', agree: true }))).toEqual({
      status: 410,
      code: 'signing_link_used',
    });
    expect(await errorOf(await fetch(`${api.url}/signing/${token}`))).toEqual({
      status: 410,
      code: 'signing_link_used',
    });
  }, 120_000);

  test('expired link rejected with 410', async () => {
    const { proposalId, token } = await emailedSigningToken();
    // The link's lifetime has passed, but the workflow's own expiry timer has not fired yet.
    await database.prisma.signingRequest.updateMany({
      where: { proposalId, status: 'pending' },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });

    expect(await errorOf(await fetch(`${api.url}/signing/${token}`))).toEqual({
      status: 410,
      code: 'signing_link_expired',
    });
    expect(await errorOf(await sign(token, { typedName: 'Dana Prospect', agree: true }))).toEqual({
      status: 410,
      code: 'signing_link_expired',
    });
    const request = await database.prisma.signingRequest.findFirstOrThrow({ where: { proposalId } });
    expect(request.usedAt).toBeNull();
  }, 120_000);

  test('altered token returns 404', async () => {
    const { token } = await emailedSigningToken();
    const altered = `${token.slice(0, 10)}${token[10] === 'a' ? 'b' : 'a'}${token.slice(11)}`;

    expect(await errorOf(await fetch(`${api.url}/signing/${altered}`))).toEqual({ status: 404, code: 'not_found' });
    expect(await errorOf(await fetch(`${api.url}/signing/${altered}/document.pdf`))).toEqual({
      status: 404,
      code: 'not_found',
    });
    expect(await errorOf(await sign(altered, { typedName: 'Dana Prospect', agree: true }))).toEqual({
      status: 404,
      code: 'not_found',
    });
    const info = await fetch(`${api.url}/signing/${token}`);
    expect(info.status).toBe(200);
  }, 120_000);

  test('signing records IP, user agent and time', async () => {
    const { proposalId, token } = await emailedSigningToken();
    const before = Date.now();
    const info = (await (await fetch(`${api.url}/signing/${token}`)).json()) as { documentSha256: string };
    const pdf = await fetch(`${api.url}/signing/${token}/document.pdf`);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');

    const signed = await sign(token, { typedName: '  Dana Prospect ', agree: true }, 'SignerBrowser/2.0 (phone)');
    expect(await signed.json()).toEqual({ status: 'signed', documentSha256: info.documentSha256 });

    const request = await database.prisma.signingRequest.findFirstOrThrow({ where: { proposalId } });
    expect(request).toMatchObject({
      status: 'signed',
      typedName: 'Dana Prospect',
      signerIp: '127.0.0.1',
      signerUserAgent: 'SignerBrowser/2.0 (phone)',
    });
    expect(request.usedAt!.getTime()).toBeGreaterThanOrEqual(before);
    expect(request.usedAt!.getTime()).toBeLessThanOrEqual(Date.now());
  }, 120_000);

  test('blank typed name rejected', async () => {
    const { proposalId, token } = await emailedSigningToken();

    expect(await errorOf(await sign(token, { typedName: '   ', agree: true }))).toEqual({
      status: 400,
      code: 'invalid_request',
    });
    expect(await errorOf(await sign(token, { agree: true }))).toEqual({ status: 400, code: 'invalid_request' });
    const request = await database.prisma.signingRequest.findFirstOrThrow({ where: { proposalId } });
    expect(request.usedAt).toBeNull();
    expect(request.status).toBe('pending');
  }, 120_000);

  test('signing without agreement rejected', async () => {
    const { proposalId, token } = await emailedSigningToken();

    expect(await errorOf(await sign(token, { typedName: 'Dana Prospect', agree: false }))).toEqual({
      status: 400,
      code: 'invalid_request',
    });
    expect(await errorOf(await sign(token, { typedName: 'Dana Prospect' }))).toEqual({
      status: 400,
      code: 'invalid_request',
    });
    const request = await database.prisma.signingRequest.findFirstOrThrow({ where: { proposalId } });
    expect(request.usedAt).toBeNull();
    expect(request.status).toBe('pending');
  }, 120_000);
});
