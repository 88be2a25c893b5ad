import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { temporal } from '@temporalio/proto';

// Workflow histories as files: one `<workflowId>.json` per history, in the same JSON form that
// `temporal workflow show --output json` writes, so auditors can mix exports from either tool. Saved
// histories are decoded first (as the CLI does with --codec-endpoint), so replaying a file needs no key.

export type History = temporal.api.history.v1.IHistory;

export async function saveHistory(
  client: Client,
  workflowId: string,
  directory: string,
  codec: PayloadCodec,
): Promise<string> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const json = await decodePayloadsInJson(JSON.parse(historyToJSON(history)) as unknown, codec);
  await mkdir(directory, { recursive: true });
  const file = path.join(directory, `${workflowId}.json`);
  await writeFile(file, `${JSON.stringify(json, null, 2)}\n`);

  return file;
}

interface JsonPayload {
  metadata: Record<string, string>;
  data?: string;
}

function isJsonPayload(value: unknown): value is JsonPayload {
  const metadata = (value as { metadata?: unknown } | null)?.metadata;

  return (
    typeof metadata === 'object' &&
    metadata !== null &&
    typeof (metadata as { encoding?: unknown }).encoding === 'string'
  );
}

/** Replaces every payload in a proto3-JSON history with its decoded form. */
async function decodePayloadsInJson(json: unknown, codec: PayloadCodec): Promise<unknown> {
  const found: JsonPayload[] = [];
  const collect = (value: unknown): void => {
    if (isJsonPayload(value)) {
      found.push(value);
    } else if (Array.isArray(value)) {
      value.forEach(collect);
    } else if (typeof value === 'object' && value !== null) {
      Object.values(value).forEach(collect);
    }
  };
  collect(json);

  const decoded = await codec.decode(
    found.map((payload) => ({
      metadata: Object.fromEntries(
        Object.entries(payload.metadata).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
      ),
      data: Buffer.from(payload.data ?? '', 'base64'),
    })),
  );
  found.forEach((payload, index) => {
    const plain = decoded[index]!;
    payload.metadata = Object.fromEntries(
      Object.entries(plain.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')]),
    );
    payload.data = Buffer.from(plain.data ?? []).toString('base64');
  });

  return json;
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
