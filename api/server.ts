import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../lib/config';
import { openDatabase } from '../lib/database';
import { resolveWebhookSecrets } from '../lib/local-secrets';
import { createLogger } from '../lib/logger';
import { EncryptionCodec, resolvePayloadKeys } from '../lib/payload-codec';
import { createApp } from './app';
import { createTokenVerifier } from './auth';

// `npm run api`: the API as its own process, stateless, for deployments with PostgreSQL (DATABASE_URL).

const config = loadConfig();
const logger = createLogger({ name: 'api' });
const database = await openDatabase({ databaseUrl: config.DATABASE_URL, pgliteDir: config.pgliteDir });
const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
const payloadCodec = new EncryptionCodec(await resolvePayloadKeys(config));
const temporal = new Client({
  connection,
  namespace: config.TEMPORAL_NAMESPACE,
  dataConverter: { payloadCodecs: [payloadCodec] },
});
const app = createApp({
  config,
  prisma: database.prisma,
  temporal,
  logger,
  verifier: await createTokenVerifier(config),
  secrets: await resolveWebhookSecrets(config),
  payloadCodec,
});

const server = app.listen(config.API_PORT, config.API_HOST, () => {
  logger.info({ host: config.API_HOST, port: config.API_PORT }, 'API listening');
});

const shutdown = (signal: string) => {
  logger.info({ signal }, 'API stopping');
  server.close(() => {
    void connection
      .close()
      .then(() => database.close())
      .then(() => process.exit(0));
  });
  server.closeAllConnections();
};
process.once('SIGINT', () => shutdown('SIGINT'));
process.once('SIGTERM', () => shutdown('SIGTERM'));
