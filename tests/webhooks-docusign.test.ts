import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type eSignature, signatureStateQuery, signatureWorkflowId } from '../workflows/e-signature';
import { keys, type SignatureFixture, startSignatureFixture } from './e-signature-harness';
import { waitFor } from './support/wait';

// DocuSign Connect deliveries to POST /webhooks/docusign as DocuSign sends them: a JSON SIM event, signed
// with base64 HMAC-SHA256 of the raw body under a Connect key, in X-DocuSign-Signature-1..N.

let fixture: SignatureFixture;

beforeAll(async () => {
  fixture = await startSignatureFixture();
}, 180_000);

afterAll(async () => {
  await fixture?.close();
});

const [oldKey, newKey] = keys.docusignConnectHmacKeys as [string, string];

function connectBody(envelopeId: string, event: string, generatedAt = new Date()): string {
  return JSON.stringify({
    event,
    apiVersion: 'v2.1',
    uri: `/restapi/v2.1/accounts/docusign-account-1/envelopes/${envelopeId}`,
    retryCount: 0,
    configurationId: 10001,
    generatedDateTime: generatedAt.toISOString(),
    data: { accountId: 'docusign-account-1', envelopeId },
  });
}

function signatureOf(key: string, body: string): string {
  return createHmac('sha256', Buffer.from(key, 'utf8')).update(body).digest('base64');
}

async function deliver(
  body: string,
  signatures: string[] = [signatureOf(newKey, body)],
  contentType = 'application/json',
): Promise<{ status: number; body: { outcome?: string; error?: { code: string } } }> {
  const headers: Record<string, string> = { 'content-type': contentType };
  signatures.forEach((signature, index) => {
    headers[`x-docusign-signature-${index + 1}`] = signature;
  });
  const response = await fetch(`${fixture.api.url}/webhooks/docusign`, { method: 'POST', headers, body });

  return { status: response.status, body: (await response.json()) as { outcome?: string } };
}

async function sentEnvelope(): Promise<{ proposalId: string; envelopeId: string }> {
  const proposalId = await fixture.sendForSignature('docusign');
  const envelope = await fixture.database.prisma.envelope.findFirstOrThrow({
    where: { proposalId, provider: 'docusign' },
  });

  return { proposalId, envelopeId: envelope.externalId };
}

function signatureStatus(proposalId: string) {
  return fixture.env.client.workflow.getHandle(signatureWorkflowId(proposalId)).query(signatureStateQuery);
}

function resultOf(proposalId: string) {
  return fixture.env.client.workflow.getHandle<typeof eSignature>(signatureWorkflowId(proposalId)).result();
}

async function envelopeStatus(envelopeId: string): Promise<string> {
  const envelope = await fixture.database.prisma.envelope.findUniqueOrThrow({
    where: { provider_externalId: { provider: 'docusign', externalId: envelopeId } },
  });

  return envelope.status;
}

describe('DocuSign Connect webhook', () => {
  test('forged signature rejected', async () => {
    const { proposalId, envelopeId } = await sentEnvelope();
    const body = connectBody(envelopeId, 'envelope-completed');

    const forged = await deliver(body, [signatureOf('not-a-connect-key', body)]);
    expect(forged.status).toBe(401);
    expect(forged.body.error?.code).toBe('invalid_signature');
    const unsigned = await deliver(body, []);
    expect(unsigned.status).toBe(401);
    expect(await envelopeStatus(envelopeId)).toBe('sent');
    expect((await signatureStatus(proposalId)).status).toBe('sent');
  }, 120_000);

  test('stale event rejected', async () => {
    const { proposalId, envelopeId } = await sentEnvelope();
    const body = connectBody(envelopeId, 'envelope-completed', new Date(Date.now() - 25 * 3_600_000));

    const stale = await deliver(body);
    expect(stale.status).toBe(401);
    expect(stale.body.error?.code).toBe('stale_webhook');
    expect(await envelopeStatus(envelopeId)).toBe('sent');
    expect((await signatureStatus(proposalId)).status).toBe('sent');
  }, 120_000);

  test('duplicate delivery handled once', async () => {
    const { proposalId, envelopeId } = await sentEnvelope();
    const body = connectBody(envelopeId, 'envelope-delivered');

    const first = await deliver(body);
    const again = await deliver(body);
    expect(first).toEqual({ status: 200, body: { received: true, outcome: 'signalled' } });
    expect(again).toEqual({ status: 200, body: { received: true, outcome: 'duplicate' } });
    const recorded = await fixture.database.prisma.webhookEvent.count({
      where: { provider: 'docusign', subjectId: proposalId },
    });
    expect(recorded).toBe(1);
    await waitFor(
      () => signatureStatus(proposalId),
      (state) => state.status === 'delivered',
      'the delivered status',
    );
  }, 120_000);

  test('late delivered keeps envelope completed', async () => {
    const { proposalId, envelopeId } = await sentEnvelope();
    const completedAt = new Date();
    const completed = await deliver(connectBody(envelopeId, 'envelope-completed', completedAt));
    expect(completed.status).toBe(200);
    const result = await resultOf(proposalId);
    expect(result.outcome).toBe('signed');

    const late = await deliver(connectBody(envelopeId, 'envelope-delivered', new Date(completedAt.getTime() - 60_000)));
    expect(late.status).toBe(200);
    expect(await envelopeStatus(envelopeId)).toBe('completed');
    const proposal = await fixture.database.prisma.proposal.findUniqueOrThrow({ where: { id: proposalId } });
    expect(proposal.status).toBe('signed');
  }, 120_000);

  test('old and new keys accepted', async () => {
    const { proposalId, envelopeId } = await sentEnvelope();
    const delivered = connectBody(envelopeId, 'envelope-delivered');
    const completed = connectBody(envelopeId, 'envelope-completed');

    // DocuSign sends one signature header per active key, so during a rotation a delivery may carry only the
    // old key's signature, or the new key's in a later header.
    const byOldKey = await deliver(delivered, [signatureOf(oldKey, delivered)]);
    const byNewKeySecond = await deliver(completed, [
      signatureOf('retired-key', completed),
      signatureOf(newKey, completed),
    ]);
    expect(byOldKey.status).toBe(200);
    expect(byNewKeySecond.status).toBe(200);
    const result = await resultOf(proposalId);
    expect(result.outcome).toBe('signed');
  }, 120_000);

  test('XML body returns 415', async () => {
    const { envelopeId } = await sentEnvelope();
    const xml = `<?xml version="1.0"?><DocuSignEnvelopeInformation><EnvelopeStatus><EnvelopeID>${envelopeId}</EnvelopeID><Status>Completed</Status></EnvelopeStatus></DocuSignEnvelopeInformation>`;

    const response = await deliver(xml, [signatureOf(newKey, xml)], 'text/xml');
    expect(response.status).toBe(415);
    expect(response.body.error?.code).toBe('unsupported_media_type');
    expect(await envelopeStatus(envelopeId)).toBe('sent');
  }, 120_000);

  test('unknown envelope returns 404', async () => {
    const unknownId = randomUUID();
    const response = await deliver(connectBody(unknownId, 'envelope-completed'));

    expect(response.status).toBe(404);
    expect(response.body.error?.code).toBe('unknown_webhook_subject');
    expect(await fixture.database.prisma.envelope.count({ where: { externalId: unknownId } })).toBe(0);
  }, 120_000);

  test('unhandled event type acknowledged', async () => {
    const { proposalId, envelopeId } = await sentEnvelope();
    const response = await deliver(connectBody(envelopeId, 'recipient-authenticationfailed'));

    expect(response.status).toBe(200);
    expect((await signatureStatus(proposalId)).status).toBe('sent');
  }, 120_000);
});
