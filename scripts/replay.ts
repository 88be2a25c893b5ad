import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { PayloadCodec } from '@temporalio/common';
import { loadConfig } from '../lib/config';
import { EncryptionCodec, resolvePayloadKeys } from '../lib/payload-codec';
import { loadHistoryFiles } from '../lib/histories';
import { bundleWorkflows } from '../workers/worker';

// `npm run replay`: replays recorded workflow histories against today's workflow code and prints one
// line per history: "ok" or the non-determinism found. Exits 1 when any history fails to replay.

const usage = `Usage: npm run replay -- --workflow-id ID [--run-id RUN]
       npm run replay -- --query "<visibility query>"     e.g. --query 'WorkflowType = "meetingLifecycle"'
       npm run replay -- --dir DIRECTORY                  every <workflowId>.json history in DIRECTORY`;

interface RecordedHistory {
  workflowId: string;
  history: unknown;
}

interface Source {
  label: string;
  // The replayer takes a plain list as well as a stream, so histories already in memory need no async wrapper.
  histories: AsyncIterable<RecordedHistory> | Iterable<RecordedHistory>;
}

async function main(): Promise<number> {
  // Only the lines below matter to an auditor; the replay worker's own chatter is held back.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  let values;
  try {
    values = parseArgs({
      options: {
        'workflow-id': { type: 'string' },
        'run-id': { type: 'string' },
        query: { type: 'string' },
        dir: { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${usage}\n`);
    return 2;
  }
  const chosen = [values['workflow-id'], values.query, values.dir].filter((value) => value !== undefined);
  if (chosen.length !== 1) {
    process.stderr.write(`Give exactly one of --workflow-id, --query or --dir\n${usage}\n`);
    return 2;
  }

  const config = loadConfig();
  // Histories from the server carry encrypted payloads; saved files are decoded and pass through unchanged.
  const payloadCodec = new EncryptionCodec(await resolvePayloadKeys(config));
  let connection: Connection | undefined;
  let source: Source;
  if (values.dir !== undefined) {
    const files = await loadHistoryFiles(values.dir).catch((error: unknown) => {
      throw new Error(`Cannot read histories from ${values.dir}: ${(error as Error).message}`);
    });
    if (files.length === 0) {
      process.stderr.write(`No .json histories in ${values.dir}\n`);
      return 2;
    }
    source = { label: values.dir, histories: files };
  } else {
    connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
    const client = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
    if (values['workflow-id'] !== undefined) {
      const workflowId = values['workflow-id'];
      const history = await client.workflow.getHandle(workflowId, values['run-id']).fetchHistory();
      source = { label: workflowId, histories: [{ workflowId, history }] };
    } else {
      source = { label: values.query!, histories: client.workflow.list({ query: values.query }).intoHistories() };
    }
  }

  const failures = await replayAll(source, payloadCodec);
  await connection?.close();

  return failures === 0 ? 0 : 1;
}

/** Replays each history and prints its line; returns how many failed. */
export async function replayAll(source: Source, payloadCodec: PayloadCodec): Promise<number> {
  const workflowBundle = await bundleWorkflows();
  let count = 0;
  let failures = 0;
  for await (const result of Worker.runReplayHistories(
    { workflowBundle, dataConverter: { payloadCodecs: [payloadCodec] } },
    source.histories as never,
  )) {
    count += 1;
    if (result.error === undefined) {
      process.stdout.write(`ok ${result.workflowId}\n`);
    } else {
      failures += 1;
      process.stdout.write(`FAIL ${result.workflowId}: ${result.error.message.split('\n')[0]}\n`);
    }
  }
  process.stdout.write(`${count - failures} passed, ${failures} failed\n`);

  return failures;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`Replay failed: ${(error as Error).message}\n`);
    process.exit(1);
  },
);
