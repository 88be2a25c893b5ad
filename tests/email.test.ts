import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { Resend } from 'resend';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createEmailActivities, type EmailMessage } from '../activities/resend';
import type { SentEmail } from '../sandbox/resend';
import { startSandbox, type RunningSandbox } from '../sandbox/server';

// The email activity with the real Resend SDK against the sandbox's Resend stand-in.

let sandbox: RunningSandbox;
let resend: Resend;
const from = 'Sales Blitz <notifications@sales-blitz.example>';

beforeAll(async () => {
  sandbox = await startSandbox({
    port: 0,
    recallWebhookUrl: 'http://127.0.0.1:9/webhooks/recall',
    recallWebhookSecret: `whsec_${Buffer.from('email-test-secret-0123456789').toString('base64')}`,
    log: pino({ level: 'silent' }),
  });
  resend = new Resend('re_sandbox_key', { baseUrl: `${sandbox.url}/resend` });
});

afterEach(async () => {
  await fetch(`${sandbox.url}/_sandbox/faults`, { method: 'DELETE' });
  await fetch(`${sandbox.url}/_sandbox/resend/emails`, { method: 'DELETE' });
});

afterAll(async () => {
  await sandbox.close();
});

async function sentEmails(to?: string): Promise<SentEmail[]> {
  const query = to === undefined ? '' : `?to=${encodeURIComponent(to)}`;
  const response = await fetch(`${sandbox.url}/_sandbox/resend/emails${query}`);

  return (await response.json()) as SentEmail[];
}

function send(message: EmailMessage): Promise<{ emailId: string }> {
  const activities = createEmailActivities({ resend, from });

  return new MockActivityEnvironment().run((input: EmailMessage) => activities.sendEmail(input), message);
}

const reminder: EmailMessage = {
  to: 'rep@northwind.example',
  subject: 'A proposal is waiting for your decision',
  text: 'Open the inbox to approve or reject it.',
  idempotencyKey: 'proposal-1-reminder-1',
};

describe('sendEmail', () => {
  it('delivers the message to the recipient', async () => {
    const { emailId } = await send(reminder);

    const emails = await sentEmails('rep@northwind.example');
    expect(emails).toHaveLength(1);
    expect(emails[0]?.id).toBe(emailId);
    expect(emails[0]?.from).toBe(from);
    expect(emails[0]?.subject).toBe(reminder.subject);
    expect(emails[0]?.idempotencyKey).toBe('proposal-1-reminder-1');
  });

  it('sends once when retried with the same key', async () => {
    const first = await send(reminder);
    const second = await send(reminder);

    expect(second.emailId).toBe(first.emailId);
    expect(await sentEmails()).toHaveLength(1);
  });

  it('fails permanently on a rejected message', async () => {
    const failure = await send({ ...reminder, to: 'not-an-address', idempotencyKey: 'bad-address' }).catch(
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
    expect((failure as ApplicationFailure).message).toContain('status 422');
    expect(await sentEmails()).toHaveLength(0);
  });

  it('leaves an outage to the retry policy', async () => {
    await fetch(`${sandbox.url}/_sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'resend', fault: 'server_error', times: 1 }),
    });

    const failure = await send(reminder).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(Error);
    expect(failure).not.toBeInstanceOf(ApplicationFailure);
    expect((failure as Error).message).toContain('status 500');
    const retried = await send(reminder);
    expect((await sentEmails()).map((email) => email.id)).toEqual([retried.emailId]);
  });
});
