import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { loadHistoryFiles, saveHistory } from '../../lib/histories';

// Saves a finished workflow's history the way `npm run replay -- --dir` reads it and replays it against
// today's code. With RECORD_HISTORIES_DIR set (e.g. tests/histories) the file is kept for the committed set.

/** The time-skipping server's client encodes nothing, so its payloads are saved as they are. */
export const plainPayloads: PayloadCodec = {
  encode: (payloads) => Promise.resolve(payloads),
  decode: (payloads) => Promise.resolve(payloads),
};

export async function recordAndReplayHistory(
  client: Client,
  workflowId: string,
  workflowBundle: WorkflowBundleWithSourceMap,
  codec: PayloadCodec = plainPayloads,
): Promise<void> {
  const keep = process.env.RECORD_HISTORIES_DIR;
  const directory = keep ?? (await mkdtemp(path.join(os.tmpdir(), 'sales-blitz-history-')));
  try {
    await saveHistory(client, workflowId, directory, codec);
    const saved = (await loadHistoryFiles(directory)).find((item) => item.workflowId === workflowId);
    if (saved === undefined) {
      throw new Error(`No saved history for ${workflowId}`);
    }
    await Worker.runReplayHistory({ workflowBundle }, saved.history, workflowId);
  } finally {
    if (keep === undefined) {
      await rm(directory, { recursive: true, force: true });
    }
  }
}
