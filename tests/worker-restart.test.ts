import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readTranscriptFile } from '../lib/transcript/parse';
import { DEMO_ORGANIZATION_ID, DEMO_PROSPECT_ID, DEMO_REP_USER_ID } from '../prisma/seed';
import { startTestStack, type TestStack } from './support/stack';

// A worker process killed (SIGKILL) in the middle of the analysis: a new worker picks the work up,
// the meeting still ends analysed, and nothing outside was done twice.

const repoRoot = path.resolve(__dirname, '..');
const rep = { userId: DEMO_REP_USER_ID, organizationId: DEMO_ORGANIZATION_ID, role: 'rep' as const };
let stack: TestStack;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  stack = await startTestStack({ withoutWorker: true });
});

afterAll(async () => {
  for (const worker of workers) {
    if (worker.exitCode === null && worker.signalCode === null && worker.pid !== undefined) {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      process.kill(-worker.pid, 'SIGTERM');
      await exited;
    }
  }
  await stack?.stop();
});

function startWorkerProcess(): ChildProcess {
  const { config, secrets } = stack;
  const child = spawn('npx', ['tsx', 'workers/main.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATA_DIR: config.DATA_DIR,
      DATABASE_URL: config.DATABASE_URL,
      TEMPORAL_ADDRESS: config.TEMPORAL_ADDRESS,
      SANDBOX_PORT: String(config.SANDBOX_PORT),
      PUBLIC_BASE_URL: config.publicBaseUrl,
      RECALL_WEBHOOK_SECRET: secrets.recallWebhookSecret,
      ASSEMBLYAI_WEBHOOK_SECRET: secrets.assemblyWebhookSecret,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
    // Its own process group, so the kill reaches the node process behind npx.
    detached: true,
  });
  workers.push(child);

  return child;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 150_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function sandboxRequests(provider: string): Promise<Array<{ method: string; path: string }>> {
  const response = await fetch(`${stack.sandbox.url}/_sandbox/requests?provider=${provider}`);

  return (await response.json()) as Array<{ method: string; path: string }>;
}

test('worker killed during analysis is replaced and the meeting completes once', async () => {
  const first = startWorkerProcess();
  const transcript = await readTranscriptFile(
    path.resolve(repoRoot, '..', 'shared', 'fixtures', 'transcripts', 'qmsum', 'ES2005a.json'),
  );
  // Holds the Claude request open long enough to kill the worker while it waits.
  await fetch(`${stack.sandbox.url}/_sandbox/faults`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ provider: 'anthropic', fault: 'latency', latencyMs: 20_000, times: 1 }),
  });
  const meetingUrl = 'https://zoom.us/j/5550001111';
  await fetch(`${stack.sandbox.url}/_sandbox/recall/scenarios`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ meetingUrl, utterances: transcript.utterances }),
  });
  const created = await stack.request('POST', '/api/meetings', {
    principal: rep,
    body: { meetingUrl, prospectId: DEMO_PROSPECT_ID },
  });
  expect(created.status).toBe(201);
  const meetingId = (created.body as { meeting: { id: string } }).meeting.id;

  // Kill only once the audio job is recorded: AssemblyAI takes no idempotency key, so a worker lost between
  // its submission and the database write submits again (a known gap, marked in activities/assemblyai.ts).
  await waitFor('the Claude request', async () => ((await sandboxRequests('anthropic')).length > 0 ? true : undefined));
  await waitFor('the audio job id', async () => {
    const row = await stack.database.prisma.callIntelligence.findUnique({ where: { meetingId } });
    return row?.audioTranscriptId ?? undefined;
  });
  process.kill(-first.pid!, 'SIGKILL');
  await new Promise((resolve) => first.once('exit', resolve));

  startWorkerProcess();
  const finalStatus = await waitFor('the analysis', async () => {
    const { body } = await stack.request('GET', `/api/meetings/${meetingId}/intelligence`, { principal: rep });
    const { status } = body as { status: string };
    return status === 'analysed' || status === 'failed' ? status : undefined;
  });

  expect(finalStatus).toBe('analysed');
  const botCreations = (await sandboxRequests('recall')).filter(
    (request) => request.method === 'POST' && request.path.endsWith('/bot/'),
  );
  expect(botCreations).toHaveLength(1);
  const audioSubmissions = (await sandboxRequests('assemblyai')).filter((request) => request.method === 'POST');
  expect(audioSubmissions).toHaveLength(1);
  const analysisRuns = [];
  for await (const execution of stack.temporal.workflow.list({ query: `WorkflowId = "analysis-${meetingId}"` })) {
    analysisRuns.push(execution);
  }
  expect(analysisRuns).toHaveLength(1);
  expect(await stack.database.prisma.callIntelligence.count({ where: { meetingId } })).toBe(1);
  const chunks = await stack.database.prisma.transcriptEmbedding.count({ where: { transcript: { meetingId } } });
  const intelligence = await stack.database.prisma.callIntelligence.findUniqueOrThrow({ where: { meetingId } });
  expect(chunks).toBe(intelligence.embeddingCount);
}, 300_000);
