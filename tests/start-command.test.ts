import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openDatabase } from '../lib/database';
import { findFreeLoopbackPorts } from '../lib/dev-server';
import { readTranscriptFile } from '../lib/transcript/parse';

// `npm start -- --once --transcript FILE` as a user runs it: the embedded default (PGlite, its own
// Temporal dev server, sandbox, API, worker), one JSON line at the end, exit codes for bad input.

const repoRoot = path.resolve(__dirname, '..');
const fixture = path.resolve(repoRoot, '..', 'shared', 'fixtures', 'transcripts', 'qmsum', 'ES2005a.json');
const run = promisify(execFile);
let workDir: string;

/** The parts of the start command's closing JSON line that these tests read. */
interface StartOutput {
  meetingId: string;
  workflowId: string;
  status: string;
  speakers: number;
  temporalWebUrl: string;
  qualification: { fields: Record<string, { evidence: Array<{ quote: string }> }> };
}

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'sales-blitz-start-'));
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

async function startCommand(args: string[], env: Record<string, string> = {}) {
  const withoutKeys = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.endsWith('_API_KEY') && name !== 'DATABASE_URL'),
  );
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'scripts/start.ts', ...args], {
      cwd: repoRoot,
      env: { ...withoutKeys, DATA_DIR: path.join(workDir, 'data'), ...env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('start command', () => {
  test('unsupported transcript exits 2 naming the formats and starts nothing', async () => {
    const file = path.join(workDir, 'not-a-call.json');
    await writeFile(file, JSON.stringify({ invoice: 42, lines: [] }));
    const result = await startCommand(['--once', '--transcript', file]);

    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/QMSum/);
    expect(result.stderr).toMatch(/WebVTT/);
    expect(existsSync(path.join(workDir, 'data'))).toBe(false);
  });

  test('missing transcript file exits 2 with its path', async () => {
    const result = await startCommand(['--once', '--transcript', path.join(workDir, 'nowhere.vtt')]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('nowhere.vtt');
  });

  test('unknown option exits 2 with usage', async () => {
    const result = await startCommand(['--twice']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Usage: npm start');
  });

  test('--once on the embedded default prints the analysed meeting as its last line', async () => {
    const [temporalPort, uiPort, apiPort, sandboxPort] = await findFreeLoopbackPorts(4);
    const result = await startCommand(['--once', '--transcript', fixture], {
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      TEMPORAL_WEB_URL: `http://127.0.0.1:${uiPort}`,
      API_PORT: String(apiPort),
      SANDBOX_PORT: String(sandboxPort),
    });

    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    const output = JSON.parse(lines.at(-1)!) as StartOutput;
    expect(Object.keys(output)).toEqual([
      'meetingId',
      'workflowId',
      'status',
      'speakers',
      'turns',
      'metrics',
      'qualification',
      'followUpEmail',
      'temporalWebUrl',
    ]);
    expect(output.status).toBe('analysed');
    expect(output.speakers).toBe(4);
    expect(output.workflowId).toBe(`meeting-${output.meetingId}`);
    expect(output.temporalWebUrl).toContain(`127.0.0.1:${uiPort}`);
    expect(result.stdout).toContain('Bot in the call');
    expect(result.stdout).toContain('Transcript stored');
    const transcript = await readTranscriptFile(fixture);
    const texts = transcript.utterances.map((utterance) => utterance.text);
    for (const field of Object.values(output.qualification.fields)) {
      for (const evidence of field.evidence) {
        expect(texts.some((text) => text.includes(evidence.quote))).toBe(true);
      }
    }
    expect(existsSync(path.join(workDir, 'data', 'pglite'))).toBe(true);
  }, 240_000);

  test('unknown --through stage exits 2 with usage', async () => {
    const result = await startCommand(['--once', '--through', 'lunch']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Invalid --through lunch');
    expect(result.stderr).toContain('Usage: npm start');
  });

  test('--through signature ends with a signed proposal and its document hash', async () => {
    const [temporalPort, uiPort, apiPort, sandboxPort] = await findFreeLoopbackPorts(4);
    const dataDir = path.join(workDir, 'signature-data');
    const transcript = path.resolve(path.dirname(fixture), 'IS1004a.json');
    const result = await startCommand(['--once', '--through', 'signature', '--transcript', transcript], {
      DATA_DIR: dataDir,
      TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      TEMPORAL_WEB_URL: `http://127.0.0.1:${uiPort}`,
      API_PORT: String(apiPort),
      SANDBOX_PORT: String(sandboxPort),
    });

    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Approved version 1 as the rep');
    expect(result.stdout).toContain('Signed on the built-in signing page');
    const output = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as StartOutput & {
      proposal: { id: string; status: string; documentSha256: string };
    };
    expect(output.status).toBe('analysed');
    expect(output.proposal.status).toBe('signed');
    expect(output.proposal.documentSha256).toMatch(/^[0-9a-f]{64}$/);

    // The stated hash is the hash of the IO the signer was sent, and the signed copy is stored beside it.
    const database = await openDatabase({ pgliteDir: path.join(dataDir, 'pglite') });
    try {
      const documents = await database.prisma.document.findMany({ where: { proposalId: output.proposal.id } });
      const sent = documents.find((document) => document.kind === 'io');
      expect(sent).toBeDefined();
      expect(createHash('sha256').update(sent!.bytes).digest('hex')).toBe(output.proposal.documentSha256);
      expect(documents.some((document) => document.kind === 'signed_io')).toBe(true);
      const signing = await database.prisma.signingRequest.findFirstOrThrow({
        where: { proposalId: output.proposal.id },
      });
      expect(signing.status).toBe('signed');
      expect(signing.signerUserAgent).toBe('Sales Blitz main job (signer)');
    } finally {
      await database.close();
    }
  }, 300_000);
});
