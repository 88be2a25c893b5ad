import { loadConfig } from '../lib/config';
import { createLogger } from '../lib/logger';
import { startSandbox } from './server';

// Runs the provider sandbox on its own (`npm run sandbox`), on SANDBOX_HOST:SANDBOX_PORT, sending Recall
// webhooks to the API's /webhooks/recall route signed with RECALL_WEBHOOK_SECRET.

const config = loadConfig();
const log = createLogger({ name: 'sandbox', level: config.LOG_LEVEL });

if (config.RECALL_WEBHOOK_SECRET === undefined) {
  log.fatal('RECALL_WEBHOOK_SECRET is missing: set it to a whsec_... secret shared with the API');
  process.exit(1);
}

const sandbox = await startSandbox({
  host: config.SANDBOX_HOST,
  port: config.SANDBOX_PORT,
  recallWebhookUrl: `${config.publicBaseUrl}/webhooks/recall`,
  recallWebhookSecret: config.RECALL_WEBHOOK_SECRET,
  log,
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'Stopping provider sandbox');
    sandbox
      .close()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        log.error({ err: error }, 'Provider sandbox did not stop cleanly');
        process.exit(1);
      });
  });
}
