import { createHmac, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type eSignature, signatureStateQuery, signatureWorkflowId } from '../workflows/e-signature';
import { keys, type SignatureFixture, startSignatureFixture } from './e-signature-harness';
import { waitFor } from './support/wait';

// PandaDoc webhook deliveries to POST /webhooks/pandadoc as PandaDoc sends them. The body is a JSON array of
// events, `?signature=` is the hex HMAC-SHA256 of the raw body under the shared key, and the event id header
// stays the same when PandaDoc retries a delivery.

let fixture: SignatureFixture;

beforeAll(async () => {
  fixture = await startSignatureFixture();
}, 180_000);

afterAll(async () => {
  await fixture?.close();
});

const [oldKey, newKey] = keys.pandadocWebhookKeys as [string, string];

function stateChangedBody(documentId: string, status: string, modifiedAt = new Date()): string {
  return JSON.stringify([
    {
      event: 'document_state_changed',
      data: { id: documentId, name: 'Q3 display campaign', status, date_modified: modifiedAt.toISOString() },
    },
  ]);
}

function signatureOf(key: string, body: string): string {
  return createHmac('sha256', Buffer.from(key, 'utf8')).update(body).digest('hex');
}

interface Delivery {
  signature?: string;
  eventId?: string;
  contentType?: string;
}

async function deliver(
  body: string,
  options: Delivery = {},
): Promise<{ status: number; body: { outcomes?: string[]; error?: { code: string } } }> {
  const signature = options.signature ?? signatureOf(newKey, body);
  const response = await fetch(`${fixture.api.url}/webhooks/pandadoc?signature=${signature}`, {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/json',
      'x-pandadoc-webhook-event-id': options.eventId ?? randomBytes(12).toString('hex'),
    },
    body,
  });

  return { status: response.status, body: (await response.json()) as { outcomes?: string[] } };
}

async function sentDocument(): Promise<{ proposalId: string; documentId: string }> {
  const proposalId = await fixture.sendForSignature('pandadoc');
  const row = await fixture.database.prisma.envelope.findFirstOrThrow({ where: { proposalId, provider: 'pandadoc' } });

  return { proposalId, documentId: row.externalId };
}

function signatureStatus(proposalId: string) {
  return fixture.env.client.workflow.getHandle(signatureWorkflowId(proposalId)).query(signatureStateQuery);
}

function resultOf(proposalId: string) {
  return fixture.env.client.workflow.getHandle<typeof eSignature>(signatureWorkflowId(proposalId)).result();
}

async function documentStatus(documentId: string): Promise<string> {
  const row = await fixture.database.prisma.envelope.findUniqueOrThrow({
    where: { provider_externalId: { provider: 'pandadoc', externalId: documentId } },
  });

  return row.status;
}

describe('PandaDoc webhook', () => {
  test('forged signature rejected', async () => {
    const { proposalId, documentId } = await sentDocument();
    const body = stateChangedBody(documentId, 'document.completed');

    const forged = await deliver(body, { signature: signatureOf('not-the-shared-key', body) });
    expect(forged.status).toBe(401);
    expect(forged.body.error?.code).toBe('invalid_signature');
    const unsigned = await deliver(body, { signature: '' });
    expect(unsigned.status).toBe(401);
    expect(await documentStatus(documentId)).toBe('document.sent');
    expect((await signatureStatus(proposalId)).status).toBe('sent');
  }, 120_000);

  test('stale event rejected', async () => {
    const { proposalId, documentId } = await sentDocument();
    const body = stateChangedBody(documentId, 'document.completed', new Date(Date.now() - 25 * 3_600_000));

    const stale = await deliver(body);
    expect(stale.status).toBe(401);
    expect(stale.body.error?.code).toBe('stale_webhook');
    expect(await documentStatus(documentId)).toBe('document.sent');
    expect((await signatureStatus(proposalId)).status).toBe('sent');
  }, 120_000);

  test('retried delivery handled once', async () => {
    const { proposalId, documentId } = await sentDocument();
    const body = stateChangedBody(documentId, 'document.viewed');
    const eventId = randomBytes(12).toString('hex');

    const first = await deliver(body, { eventId });
    const retry = await deliver(body, { eventId });
    expect(first).toEqual({ status: 200, body: { received: true, outcomes: ['signalled'] } });
    expect(retry).toEqual({ status: 200, body: { received: true, outcomes: ['duplicate'] } });
    const recorded = await fixture.database.prisma.webhookEvent.count({
      where: { provider: 'pandadoc', subjectId: proposalId },
    });
    expect(recorded).toBe(1);
    await waitFor(
      () => signatureStatus(proposalId),
      (state) => state.status === 'viewed',
      'the viewed status',
    );
  }, 120_000);

  test('late viewed keeps document completed', async () => {
    const { proposalId, documentId } = await sentDocument();
    const completedAt = new Date();
    expect((await deliver(stateChangedBody(documentId, 'document.completed', completedAt))).status).toBe(200);
    expect((await resultOf(proposalId)).outcome).toBe('signed');

    const late = await deliver(stateChangedBody(documentId, 'document.viewed', new Date(completedAt.getTime() - 1000)));
    expect(late.status).toBe(200);
    expect(await documentStatus(documentId)).toBe('document.completed');
    const proposal = await fixture.database.prisma.proposal.findUniqueOrThrow({ where: { id: proposalId } });
    expect(proposal.status).toBe('signed');
  }, 120_000);

  test('old and new keys accepted', async () => {
    const { proposalId, documentId } = await sentDocument();
    const viewed = stateChangedBody(documentId, 'document.viewed');
    const completed = stateChangedBody(documentId, 'document.completed');

    expect((await deliver(viewed, { signature: signatureOf(oldKey, viewed) })).status).toBe(200);
    expect((await deliver(completed, { signature: signatureOf(newKey, completed) })).status).toBe(200);
    expect((await resultOf(proposalId)).outcome).toBe('signed');
  }, 120_000);

  test('unknown document returns 404', async () => {
    const unknownId = randomBytes(11).toString('hex');
    const response = await deliver(stateChangedBody(unknownId, 'document.completed'));

    expect(response.status).toBe(404);
    expect(response.body.error?.code).toBe('unknown_webhook_subject');
    expect(await fixture.database.prisma.envelope.count({ where: { externalId: unknownId } })).toBe(0);
  }, 120_000);

  test('mixed delivery skips unknown document', async () => {
    const { proposalId, documentId } = await sentDocument();
    const body = JSON.stringify([
      ...(JSON.parse(stateChangedBody(randomBytes(11).toString('hex'), 'document.completed')) as unknown[]),
      ...(JSON.parse(stateChangedBody(documentId, 'document.declined')) as unknown[]),
    ]);

    const response = await deliver(body);
    expect(response).toEqual({ status: 200, body: { received: true, outcomes: ['signalled'] } });
    expect((await resultOf(proposalId)).outcome).toBe('declined');
  }, 120_000);

  test('non-JSON body returns 415', async () => {
    const { documentId } = await sentDocument();
    const body = `id=${documentId}&status=document.completed`;

    const response = await deliver(body, { contentType: 'application/x-www-form-urlencoded' });
    expect(response.status).toBe(415);
    expect(await documentStatus(documentId)).toBe('document.sent');
  }, 120_000);
});
