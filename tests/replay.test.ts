import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { afterAll, describe, expect, test } from 'vitest';
import { loadHistoryFiles } from '../lib/histories';

// Auditors replay recorded histories against today's workflow code. The committed histories come from
// the main job (`npm start -- --once --through signature --save-histories tests/histories`) and from tests
// that set RECORD_HISTORIES_DIR.

const repoRoot = path.resolve(__dirname, '..');
const historiesDir = path.join(repoRoot, 'tests', 'histories');
const run = promisify(execFile);
const changedCopies: string[] = [];

afterAll(async () => {
  await Promise.all(changedCopies.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('replay', () => {
  test('committed histories replay against today’s workflows', async () => {
    const { stdout } = await run('npx', ['tsx', 'scripts/replay.ts', '--dir', historiesDir], { cwd: repoRoot });
    const lines = stdout.trim().split('\n');
    const histories = await loadHistoryFiles(historiesDir);

    expect(histories.length).toBeGreaterThanOrEqual(2);
    expect(lines.filter((line) => line.startsWith('ok ')).length).toBe(histories.length);
    expect(lines.at(-1)).toBe(`${histories.length} passed, 0 failed`);
  });

  test('changed workflow fails replay with a non-determinism error', async () => {
    // A sibling folder of workflows/ keeps its relative imports of lib/ and activities/ valid.
    const changed = await mkdtemp(path.join(repoRoot, 'workflows-changed-'));
    changedCopies.push(changed);
    await cp(path.join(repoRoot, 'workflows'), changed, { recursive: true });
    const lifecycle = path.join(changed, 'meeting-lifecycle.ts');
    const source = await readFile(lifecycle, 'utf8');
    // Reading the plan twice adds an activity the recorded history never scheduled.
    const edited = source.replace(
      'const plan = await loadMeetingPlan(input.meetingId);',
      'await loadMeetingPlan(input.meetingId);\n  const plan = await loadMeetingPlan(input.meetingId);',
    );
    expect(edited).not.toBe(source);
    await writeFile(lifecycle, edited);

    const workflowBundle = await bundleWorkflowCode({
      workflowsPath: path.join(changed, 'index.ts'),
      logger: new DefaultLogger('WARN'),
    });
    const histories = (await loadHistoryFiles(historiesDir)).filter((item) => item.workflowId.startsWith('meeting-'));
    expect(histories.length).toBeGreaterThan(0);
    for (const { history, workflowId } of histories) {
      await expect(Worker.runReplayHistory({ workflowBundle }, history, workflowId)).rejects.toThrow(/[Nn]ondetermin/);
    }
  });

  test('replay command exits 1 on a failing history and 2 without a source', async () => {
    const broken = await mkdtemp(path.join(repoRoot, 'workflows-changed-'));
    changedCopies.push(broken);
    const [first] = await loadHistoryFiles(historiesDir);
    const history = JSON.parse(await readFile(first!.file, 'utf8')) as { events: Array<{ eventType: string }> };
    // Dropping the first workflow task makes the history unexplainable by any code.
    history.events = history.events.filter((event, index) => index < 2 || index > 4);
    await writeFile(path.join(broken, first!.workflowId + '.json'), JSON.stringify(history));

    const failing = await run('npx', ['tsx', 'scripts/replay.ts', '--dir', broken], { cwd: repoRoot }).catch(
      (error: { code: number; stdout: string }) => error,
    );
    expect((failing as { code: number }).code).toBe(1);
    expect((failing as { stdout: string }).stdout).toContain('FAIL ');

    const usage = await run('npx', ['tsx', 'scripts/replay.ts'], { cwd: repoRoot }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect((usage as { code: number }).code).toBe(2);
    expect((usage as { stderr: string }).stderr).toContain('Give exactly one of --workflow-id, --query or --dir');
  });
});
