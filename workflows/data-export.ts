import { ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { DataExportActivities } from '../activities/retention-types';

// Data export: gathers every row of the account into one gzip-compressed JSON archive in the database,
// then emails the user a download link that works for 7 days. The archive and the link's token never
// enter this workflow; it carries the export id only.

export interface DataExportInput {
  exportId: string;
}

export function dataExportWorkflowId(exportId: string): string {
  return `data-export-${exportId}`;
}

const { markExportFailed } = proxyActivities<DataExportActivities>({ startToCloseTimeout: '30 seconds' });

const build = proxyActivities<DataExportActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { maximumAttempts: 5 },
});

// Resend is retried longer than the default: an export whose link never arrives is useless.
const publish = proxyActivities<DataExportActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes', maximumAttempts: 20 },
});

export async function dataExport(input: DataExportInput): Promise<{ rows: number; emailed: boolean }> {
  try {
    const archive = await build.buildAccountArchive({ exportId: input.exportId });
    const { emailed } = await publish.publishAccountArchive({
      exportId: input.exportId,
      idempotencyKey: `${workflowInfo().workflowId}:announce`,
    });

    return { rows: archive.rows, emailed };
  } catch (error) {
    await markExportFailed({ exportId: input.exportId });
    throw ApplicationFailure.create({
      message: 'The data export failed',
      type: 'data_export_failed',
      nonRetryable: true,
      details: [{ exportId: input.exportId }],
      cause: error instanceof Error ? error : undefined,
    });
  }
}
