import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { AssemblyAI } from 'assemblyai';
import type { Prisma, PrismaClient } from '../lib/generated/prisma/client';
import type { RecallClient } from './recall';
import type { SubprocessorCounts } from './retention-types';

// Asks each sub-processor that holds a copy of a call to delete it: Recall.ai the bot's media, AssemblyAI
// the audio-intelligence transcript. Each copy is one `subprocessor_deletions` row, unique per provider
// and external id, written before the product's own rows go. A row stays pending (no `confirmed_at`)
// until the provider confirms, so a failed request is retried by the next daily sweep.

export interface SubprocessorClients {
  recall: RecallClient;
  assembly: AssemblyAI;
}

export const subprocessorProviders = ['recall', 'assemblyai'] as const;
type TSubprocessor = (typeof subprocessorProviders)[number];

/** Keys of the per-provider counts in a retention run's `counts`. */
export const subprocessorCountKeys: Record<TSubprocessor, string> = {
  recall: 'recall:bot_media',
  assemblyai: 'assemblyai:transcripts',
};

type Outcome = 'deleted' | 'alreadyGone';

const pageSize = 200;

/** Sends every pending deletion matching `where`, page by page, and confirms each one the provider accepted. */
export async function sendPendingDeletions(
  prisma: PrismaClient,
  clients: SubprocessorClients,
  where: Prisma.SubprocessorDeletionWhereInput,
): Promise<SubprocessorCounts> {
  const counts: SubprocessorCounts = {};
  const failedIds: string[] = [];
  for (;;) {
    const pending = await prisma.subprocessorDeletion.findMany({
      where: { ...where, confirmedAt: null, id: { notIn: failedIds } },
      orderBy: { requestedAt: 'asc' },
      take: pageSize,
    });
    if (pending.length === 0) {
      return counts;
    }
    for (const copy of pending) {
      const provider = copy.provider as TSubprocessor;
      const tally = (counts[subprocessorCountKeys[provider] ?? copy.provider] ??= {
        deleted: 0,
        alreadyGone: 0,
        failed: 0,
      });
      try {
        tally[await deleteCopy(clients, provider, copy.externalId)] += 1;
        await prisma.subprocessorDeletion.update({ where: { id: copy.id }, data: { confirmedAt: new Date() } });
      } catch (error) {
        tally.failed += 1;
        failedIds.push(copy.id);
        log.warn('Sub-processor deletion failed; it stays pending for the next sweep', {
          provider: copy.provider,
          externalId: copy.externalId,
          error: error instanceof Error ? error.message : String(error),
        });
      }
      Context.current().heartbeat();
    }
  }
}

async function deleteCopy(clients: SubprocessorClients, provider: TSubprocessor, externalId: string): Promise<Outcome> {
  const signal = Context.current().cancellationSignal;
  if (provider === 'recall') {
    return clients.recall.deleteBotMedia(externalId, signal).then(
      () => 'deleted' as const,
      (error: unknown) => alreadyGoneOrThrow(error, isRecallNotFound(error)),
    );
  }
  if (provider === 'assemblyai') {
    // NOTE: the assemblyai SDK (4.41) throws a plain Error carrying only the body's `error` text, so a
    // missing transcript is recognised by AssemblyAI's message "Transcript not found".
    return clients.assembly.transcripts.delete(externalId).then(
      () => 'deleted' as const,
      (error: unknown) => alreadyGoneOrThrow(error, error instanceof Error && /not found/i.test(error.message)),
    );
  }
  throw new Error(`No deletion client for sub-processor ${String(provider)}`);
}

function isRecallNotFound(error: unknown): boolean {
  if (!(error instanceof ApplicationFailure)) {
    return false;
  }
  const [detail] = (error.details ?? []) as Array<{ status?: number } | undefined>;

  return detail?.status === 404;
}

function alreadyGoneOrThrow(error: unknown, notFound: boolean): Outcome {
  if (notFound) {
    return 'alreadyGone';
  }
  throw error;
}
