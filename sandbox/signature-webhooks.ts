import { docusignSignature, pandadocSignature } from '../lib/signing/hmac';
import type { SandboxContext } from './context';
import { deliverWebhook } from './webhook-delivery';

// Webhook senders of the DocuSign Connect and PandaDoc stand-ins, signing as the providers do. Faults:
// duplicate_webhooks sends an event twice, reorder_webhooks delays an event until the next one is sent.

export interface SignatureWebhookTargets {
  docusign?: { url: string; hmacKeys: readonly string[] };
  pandadoc?: { url: string; sharedKeys: readonly string[] };
}

export interface OutgoingEvent {
  provider: 'docusign' | 'pandadoc';
  body: string;
  /** PandaDoc's X-PandaDoc-Webhook-Event-Id, the same on every retry. */
  eventId: string;
  logFields: Record<string, string>;
}

export class SignatureWebhookSender {
  private held: OutgoingEvent[] = [];

  constructor(
    private readonly context: SandboxContext,
    private readonly targets: SignatureWebhookTargets,
  ) {}

  /** Sends the events in order, applying the provider's duplicate and reorder faults. */
  async send(events: OutgoingEvent[]): Promise<void> {
    for (const event of events) {
      if (this.context.faults.take(event.provider, 'reorder_webhooks') !== undefined) {
        this.held.push(event);
        continue;
      }
      await this.deliver(event);
      for (const held of this.held.splice(0)) {
        await this.deliver(held);
      }
    }
    for (const held of this.held.splice(0)) {
      await this.deliver(held);
    }
  }

  private async deliver(event: OutgoingEvent): Promise<void> {
    const copies = this.context.faults.take(event.provider, 'duplicate_webhooks') === undefined ? 1 : 2;
    for (let copy = 0; copy < copies; copy += 1) {
      const target = this.delivery(event);
      if (target === undefined) {
        return;
      }
      await deliverWebhook(
        { url: target.url, body: event.body, headersForAttempt: () => target.headers, logFields: event.logFields },
        { scheduler: this.context.scheduler, retryDelaysMs: this.context.webhookRetryDelaysMs, log: this.context.log },
      );
    }
  }

  private delivery(event: OutgoingEvent): { url: string; headers: Record<string, string> } | undefined {
    if (event.provider === 'docusign') {
      const target = this.targets.docusign;
      if (target === undefined) return undefined;
      const headers: Record<string, string> = { 'x-authorization-digest': 'HMACSHA256' };
      target.hmacKeys.forEach((key, index) => {
        headers[`x-docusign-signature-${index + 1}`] = docusignSignature(key, event.body);
      });

      return { url: target.url, headers };
    }
    const target = this.targets.pandadoc;
    if (target === undefined || target.sharedKeys[0] === undefined) return undefined;
    const url = new URL(target.url);
    url.searchParams.set('signature', pandadocSignature(target.sharedKeys[0], event.body));

    return { url: url.toString(), headers: { 'x-pandadoc-webhook-event-id': event.eventId } };
  }
}
