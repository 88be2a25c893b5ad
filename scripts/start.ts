import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadConfig } from '../lib/config';
import { saveHistory } from '../lib/histories';
import { createLogger } from '../lib/logger';
import { buildUi } from '../lib/ui-build';
import { readTranscriptFile, UnsupportedTranscriptError } from '../lib/transcript/parse';
import type { ParsedTranscript } from '../lib/transcript/types';
import { DEMO_ORGANIZATION_ID, DEMO_REP_USER_ID } from '../prisma/seed';
import { signatureWorkflowId } from '../workflows/e-signature';
import { analysisWorkflowId } from '../workflows/post-call-analysis';
import { proposalWorkflowId } from '../workflows/proposal';
import { installRuntimeLogger } from '../workers/worker';
import { runMainJob } from './main-job';
import { approveAndSign, prepareForProposal, waitForDecision, type SignedProposal } from './main-job-signature';
import { type Stack, startStack } from './stack';

// `npm start`: brings the whole product up on the embedded default and runs the main job on a real
// transcript. With --once it exits after printing the result as one JSON line on stdout.

const usage = `Usage: npm start -- [--once] [--transcript FILE] [--through analysis|signature]

  --transcript FILE  call transcript to play (QMSum or Harper Valley JSON, AssemblyAI or Recall.ai transcript
                     JSON, WebVTT with <v Speaker> tags, or "Speaker: text" lines);
                     default: the QMSum meeting ES2005a from ../shared/fixtures
  --once             run the main job, print its result as one JSON line and exit
  --through STAGE    where the main job stops: "analysis" (default with --once) or "signature", which also
                     approves the proposal as the seeded rep and signs it on the built-in signing page;
                     without --once and without this option, it stops when the proposal awaits the rep's
                     decision and prints the web UI address where the rep decides
  --save-histories DIR
                     write the histories of the meeting's workflows to DIR (for replay tests)
  --help             show this help`;

const repoRoot = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const defaultTranscript = path.join(repoRoot, '..', 'shared', 'fixtures', 'transcripts', 'qmsum', 'ES2005a.json');

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        once: { type: 'boolean', default: false },
        transcript: { type: 'string' },
        through: { type: 'string' },
        'save-histories': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${usage}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }

  const through = args.through ?? (args.once ? 'analysis' : 'decision');
  if (!['analysis', 'decision', 'signature'].includes(through) || args.through === 'decision') {
    process.stderr.write(`Invalid --through ${args.through}: expected analysis or signature\n${usage}\n`);
    return 2;
  }

  const transcriptPath = path.resolve(args.transcript ?? defaultTranscript);
  if (args.transcript === undefined && !existsSync(transcriptPath)) {
    process.stderr.write(`Default transcript ${transcriptPath} not found: pass --transcript FILE\n`);
    return 2;
  }
  // The file is checked before anything starts, so a bad input leaves nothing running.
  let transcript: ParsedTranscript;
  try {
    transcript = await readTranscriptFile(transcriptPath);
  } catch (error) {
    const message = error instanceof UnsupportedTranscriptError ? error.message : (error as Error).message;
    process.stderr.write(`${message.split('\n')[0]}\n`);
    return 2;
  }

  const config = loadConfig();
  // Logs go to stderr so stdout holds only progress and, with --once, the result line.
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', pretty: false }).child({}, {});
  installRuntimeLogger(logger, 'WARN');
  const progress = (line: string) => process.stdout.write(`${line}\n`);

  progress(
    `Transcript ${path.basename(transcriptPath)}: ${transcript.format}, ${transcript.utterances.length} utterances`,
  );
  let stack: Stack | undefined;
  const stop = async () => {
    const running = stack;
    stack = undefined;
    await running?.close();
  };
  process.once('SIGINT', () => {
    progress('Stopping...');
    void stop().then(() => process.exit(130));
  });
  process.once('SIGTERM', () => void stop().then(() => process.exit(143)));

  try {
    await buildUi({ log: progress });
    stack = await startStack({ config, logger, startTemporal: true, progress });
    if (through !== 'analysis') {
      await prepareForProposal(stack, progress);
    }
    const result = await runMainJob({ stack, transcript, progress });
    progress(`Temporal Web: ${result.temporalWebUrl}`);
    progress(summarise(result));
    let proposal: SignedProposal | undefined;
    if (through === 'signature') {
      proposal = await approveAndSign({ stack, meetingId: result.meetingId, progress });
    }
    if (args['save-histories'] !== undefined) {
      const workflowIds = [result.workflowId, analysisWorkflowId(result.meetingId)];
      if (proposal !== undefined) workflowIds.push(proposalWorkflowId(proposal.id), signatureWorkflowId(proposal.id));
      for (const workflowId of workflowIds) {
        progress(
          `History saved: ${await saveHistory(stack.temporal, workflowId, args['save-histories'], stack.payloadCodec)}`,
        );
      }
    }
    if (args.once) {
      await stop();
      process.stdout.write(`${JSON.stringify(proposal === undefined ? result : { ...result, proposal })}\n`);
      return 0;
    }
    progress(`\nSales Blitz is running. API ${stack.apiUrl}, Temporal Web ${stack.config.TEMPORAL_WEB_URL}.`);
    if (through === 'decision') {
      const waiting = await waitForDecision({ stack, meetingId: result.meetingId, progress });
      progress(
        waiting === undefined
          ? 'The call did not qualify for a proposal, so there is nothing to approve.'
          : `Approve or reject proposal ${waiting.id} in the web UI: sign in at ${stack.apiUrl}/sign-in as Riley Rep, then open ${stack.apiUrl}/proposals/${waiting.id}`,
      );
    }
    progress(`Web UI: ${stack.apiUrl}/sign-in (sign in as a seeded user, then decide in the inbox)`);
    progress(`Mint a token: npm run -s token -- --user ${DEMO_REP_USER_ID} --org ${DEMO_ORGANIZATION_ID} --role rep`);
    progress('Press Ctrl-C to stop.');
    await new Promise<never>(() => undefined);
    return 0;
  } catch (error) {
    process.stderr.write(`Main job failed: ${(error as Error).message}\n`);
    await stop();
    return 1;
  }
}

function summarise(result: Awaited<ReturnType<typeof runMainJob>>): string {
  const qualification = result.qualification as { score?: number; qualifies?: boolean; rationale?: string } | null;
  const lines = [
    `Intelligence for meeting ${result.meetingId}: ${result.speakers} speakers, ${result.turns} turns`,
    `  qualification score ${qualification?.score ?? '?'} (${qualification?.qualifies ? 'qualifies' : 'does not qualify'})`,
    `  follow-up email: "${result.followUpEmail?.subject ?? ''}"`,
  ];

  return lines.join('\n');
}

process.exitCode = await main();
if (process.exitCode !== 0 || process.argv.includes('--once')) {
  // Native handles of the Temporal runtime can keep the event loop alive after a clean stop.
  process.exit(process.exitCode);
}
