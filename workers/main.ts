import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../lib/config';
import { openDatabase } from '../lib/database';
import { resolveWebhookSecrets } from '../lib/local-secrets';
import { createLogger } from '../lib/logger';
import { EncryptionCodec, resolvePayloadKeys } from '../lib/payload-codec';
import { ensureRetentionSchedule } from '../lib/retention-schedule';
import { retentionScheduleId } from '../workflows/retention-sweep';
import { createProviderClients } from './provider-clients';
import { connectWorker, createWorker, installRuntimeLogger } from './worker';

// `npm run worker`: one worker process polling the product's task queue. Scale out by running more of
// them against the same Temporal cluster and PostgreSQL database. With the embedded PGlite database
// the worker must share its process with the API (`npm start`), because one process owns PGlite's files.

const config = loadConfig();
const logger = createLogger({ name: 'worker' });
installRuntimeLogger(logger);

const database = await openDatabase({ databaseUrl: config.DATABASE_URL, pgliteDir: config.pgliteDir });
const connection = await connectWorker(config);
const payloadCodec = new EncryptionCodec(await resolvePayloadKeys(config));
const worker = await createWorker({
  config,
  connection,
  prisma: database.prisma,
  clients: createProviderClients(config),
  secrets: await resolveWebhookSecrets(config),
  payloadCodec,
});
logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE, database: database.kind }, 'Worker started');
const scheduleClient = new Client({
  connection: await Connection.connect({ address: config.TEMPORAL_ADDRESS }),
  namespace: config.TEMPORAL_NAMESPACE,
  dataConverter: { payloadCodecs: [payloadCodec] },
});
const schedule = await ensureRetentionSchedule(scheduleClient, config.TEMPORAL_TASK_QUEUE);
await scheduleClient.connection.close();
logger.info({ scheduleId: retentionScheduleId, outcome: schedule }, 'Retention schedule ensured');

// The SDK shuts the worker down on SIGINT and SIGTERM, finishing in-flight tasks first.
await worker.run();
await connection.close();
await database.close();
logger.info('Worker stopped');
