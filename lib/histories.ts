import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';

// Workflow histories as files: one `<workflowId>.json` per history, in the same JSON form that
// `temporal workflow show --output json` writes, so auditors can mix exports from either tool.

export type History = temporal.api.history.v1.IHistory;

export async function saveHistory(client: Client, workflowId: string, directory: string): Promise<string> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  await mkdir(directory, { recursive: true });
  const file = path.join(directory, `${workflowId}.json`);
  await writeFile(file, `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 2)}\n`);

  return file;
}

export async function loadHistoryFiles(
  directory: string,
): Promise<Array<{ file: string; workflowId: string; history: History }>> {
  const names = (await readdir(directory)).filter((name) => name.endsWith('.json')).sort();
  const histories = [];
  for (const name of names) {
    const file = path.join(directory, name);
    const history = historyFromJSON(JSON.parse(await readFile(file, 'utf8')));
    histories.push({ file, workflowId: name.replace(/\.json$/, ''), history });
  }

  return histories;
}
