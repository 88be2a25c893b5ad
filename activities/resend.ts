import { log } from '@temporalio/activity';
import type { Resend } from 'resend';
import { providerFailure } from './provider-failure';

// Transactional email through Resend: proposal reminders, reconnection notices, export links. Each send
// carries an idempotency key built from the workflow id and step, so a retried activity sends one email
// (Resend keeps a key for 24 hours). Message bodies may hold links but never transcript text or tokens of
// other services.

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  /** Built from the workflow id and step, e.g. `proposal-<id>-reminder-1`. */
  idempotencyKey: string;
}

export interface EmailActivities {
  sendEmail(message: EmailMessage): Promise<{ emailId: string }>;
}

export interface EmailDependencies {
  resend: Resend;
  /** Sender address, e.g. `Sales Blitz <notifications@example.com>`. */
  from: string;
}

export function createEmailActivities({ resend, from }: EmailDependencies): EmailActivities {
  return {
    async sendEmail(message) {
      const { data, error } = await resend.emails.send(
        { from, to: message.to, subject: message.subject, text: message.text },
        { idempotencyKey: message.idempotencyKey },
      );
      if (error !== null || data === null) {
        // The SDK returns errors instead of throwing; `statusCode` is null when no response arrived.
        throw providerFailure('resend', error?.statusCode ?? undefined, error?.message ?? 'no response body');
      }
      log.info('Email sent', { emailId: data.id, idempotencyKey: message.idempotencyKey });

      return { emailId: data.id };
    },
  };
}
