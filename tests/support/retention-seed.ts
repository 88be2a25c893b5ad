import type { PrismaClient } from '../../lib/generated/prisma/client';

// Bulk rows for the retention tests and benchmark, written with INSERT … SELECT generate_series so that a
// million rows take seconds. Every transcript needs its own meeting (one transcript per meeting).

/** Seeds `count` meetings with one transcript each in company `organizationId`; every `keepEvery`-th transcript
 *  expires tomorrow, the rest expired yesterday. Returns how many are unexpired. */
export async function seedBulkTranscripts(
  prisma: PrismaClient,
  options: { organizationId: string; count: number; keepEvery?: number },
): Promise<{ unexpired: number }> {
  const { organizationId, count } = options;
  const keepEvery = options.keepEvery ?? 0;
  const userId = `user_${organizationId}`;
  await prisma.organization.upsert({
    where: { id: organizationId },
    create: { id: organizationId, name: organizationId },
    update: {},
  });
  await prisma.user.upsert({ where: { id: userId }, create: { id: userId }, update: {} });
  await prisma.$executeRawUnsafe(
    `INSERT INTO meetings (id, organization_id, created_by_id, platform, meeting_url, mode, join_at, updated_at)
     SELECT gen_random_uuid(), $1, $2, 'zoom', 'https://zoom.us/j/' || g, 'record_only', now(), now()
     FROM generate_series(1, $3::int) g`,
    organizationId,
    userId,
    count,
  );
  await prisma.$executeRawUnsafe(
    `INSERT INTO transcripts (id, meeting_id, organization_id, source_format, utterances, speaker_count, turn_count,
                              has_timings, expires_at)
     SELECT gen_random_uuid(), m.id, m.organization_id, 'recall', '[{"speaker":"Rep","text":"hello"}]', 1, 1, false,
            CASE WHEN $2::int > 0 AND row_number() OVER (ORDER BY m.id) % $2::int = 0
                 THEN now() + interval '1 day' ELSE now() - interval '1 day' END
     FROM meetings m LEFT JOIN transcripts t ON t.meeting_id = m.id
     WHERE m.organization_id = $1 AND t.id IS NULL`,
    organizationId,
    keepEvery,
  );

  return { unexpired: keepEvery > 0 ? Math.floor(count / keepEvery) : 0 };
}
