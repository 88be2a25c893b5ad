-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "MembershipRole" AS ENUM ('rep', 'admin', 'auditor');

-- CreateEnum
CREATE TYPE "MeetingPlatform" AS ENUM ('zoom', 'google_meet', 'microsoft_teams', 'webex', 'other');

-- CreateEnum
CREATE TYPE "MeetingMode" AS ENUM ('record_only', 'assisted', 'sage_led');

-- CreateEnum
CREATE TYPE "MeetingStatus" AS ENUM ('scheduled', 'bot_joining', 'in_waiting_room', 'in_call', 'recording', 'call_ended', 'transcript_stored', 'analysing', 'analysed', 'failed', 'cancelled');

-- CreateEnum
CREATE TYPE "AnalysisStatus" AS ENUM ('pending', 'running', 'analysed', 'failed');

-- CreateTable
CREATE TABLE "organizations" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "transcript_retention_days" INTEGER NOT NULL DEFAULT 90,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "organizations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "users" (
    "id" TEXT NOT NULL,
    "email" TEXT,
    "name" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "memberships" (
    "id" UUID NOT NULL,
    "user_id" TEXT NOT NULL,
    "organization_id" TEXT NOT NULL,
    "role" "MembershipRole" NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "memberships_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "prospects" (
    "id" UUID NOT NULL,
    "organization_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "company" TEXT,
    "email" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "prospects_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "meetings" (
    "id" UUID NOT NULL,
    "organization_id" TEXT NOT NULL,
    "created_by_id" TEXT NOT NULL,
    "prospect_id" UUID,
    "title" TEXT,
    "platform" "MeetingPlatform" NOT NULL,
    "meeting_url" TEXT NOT NULL,
    "mode" "MeetingMode" NOT NULL,
    "join_at" TIMESTAMP(3) NOT NULL,
    "bot_id" TEXT,
    "status" "MeetingStatus" NOT NULL DEFAULT 'scheduled',
    "status_changed_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "failure_code" TEXT,
    "failure_message" TEXT,
    "sage_session_hash" TEXT,
    "sage_session_expires_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "meetings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "transcripts" (
    "id" UUID NOT NULL,
    "meeting_id" UUID NOT NULL,
    "organization_id" TEXT NOT NULL,
    "source_format" TEXT NOT NULL,
    "utterances" JSONB NOT NULL,
    "speaker_count" INTEGER NOT NULL,
    "turn_count" INTEGER NOT NULL,
    "has_timings" BOOLEAN NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "transcripts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "transcript_embeddings" (
    "id" UUID NOT NULL,
    "transcript_id" UUID NOT NULL,
    "chunk_index" INTEGER NOT NULL,
    "first_utterance" INTEGER NOT NULL,
    "last_utterance" INTEGER NOT NULL,
    "model" TEXT NOT NULL,
    "vector" DOUBLE PRECISION[],
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "transcript_embeddings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "call_intelligence" (
    "id" UUID NOT NULL,
    "meeting_id" UUID NOT NULL,
    "organization_id" TEXT NOT NULL,
    "status" "AnalysisStatus" NOT NULL DEFAULT 'pending',
    "metrics" JSONB,
    "summary" TEXT,
    "qualification" JSONB,
    "follow_up_email" JSONB,
    "conversation_patterns" JSONB,
    "model" TEXT,
    "audio_transcript_id" TEXT,
    "audio_intelligence" JSONB,
    "embedding_count" INTEGER,
    "steps" JSONB NOT NULL DEFAULT '{}',
    "failure_code" TEXT,
    "analysed_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "call_intelligence_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "prospect_intelligence" (
    "id" UUID NOT NULL,
    "prospect_id" UUID NOT NULL,
    "organization_id" TEXT NOT NULL,
    "meeting_count" INTEGER NOT NULL DEFAULT 0,
    "meeting_ids" TEXT[],
    "qualification" JSONB NOT NULL DEFAULT '{}',
    "latest_score" INTEGER,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "prospect_intelligence_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "webhook_events" (
    "id" UUID NOT NULL,
    "provider" TEXT NOT NULL,
    "event_id" TEXT NOT NULL,
    "event_type" TEXT NOT NULL,
    "subject_id" TEXT,
    "received_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_events" (
    "id" UUID NOT NULL,
    "organization_id" TEXT,
    "actor_user_id" TEXT,
    "action" TEXT NOT NULL,
    "subject_type" TEXT NOT NULL,
    "subject_id" TEXT NOT NULL,
    "data" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "memberships_organization_id_idx" ON "memberships"("organization_id");

-- CreateIndex
CREATE UNIQUE INDEX "memberships_user_id_organization_id_key" ON "memberships"("user_id", "organization_id");

-- CreateIndex
CREATE INDEX "prospects_organization_id_idx" ON "prospects"("organization_id");

-- CreateIndex
CREATE UNIQUE INDEX "prospects_organization_id_email_key" ON "prospects"("organization_id", "email");

-- CreateIndex
CREATE UNIQUE INDEX "meetings_bot_id_key" ON "meetings"("bot_id");

-- CreateIndex
CREATE UNIQUE INDEX "meetings_sage_session_hash_key" ON "meetings"("sage_session_hash");

-- CreateIndex
CREATE INDEX "meetings_organization_id_created_at_idx" ON "meetings"("organization_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "transcripts_meeting_id_key" ON "transcripts"("meeting_id");

-- CreateIndex
CREATE INDEX "transcripts_expires_at_idx" ON "transcripts"("expires_at");

-- CreateIndex
CREATE UNIQUE INDEX "transcript_embeddings_transcript_id_chunk_index_key" ON "transcript_embeddings"("transcript_id", "chunk_index");

-- CreateIndex
CREATE UNIQUE INDEX "call_intelligence_meeting_id_key" ON "call_intelligence"("meeting_id");

-- CreateIndex
CREATE UNIQUE INDEX "call_intelligence_audio_transcript_id_key" ON "call_intelligence"("audio_transcript_id");

-- CreateIndex
CREATE INDEX "call_intelligence_organization_id_idx" ON "call_intelligence"("organization_id");

-- CreateIndex
CREATE UNIQUE INDEX "prospect_intelligence_prospect_id_key" ON "prospect_intelligence"("prospect_id");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_events_provider_event_id_key" ON "webhook_events"("provider", "event_id");

-- CreateIndex
CREATE INDEX "audit_events_organization_id_created_at_idx" ON "audit_events"("organization_id", "created_at");

-- CreateIndex
CREATE INDEX "audit_events_subject_type_subject_id_idx" ON "audit_events"("subject_type", "subject_id");

-- AddForeignKey
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "memberships" ADD CONSTRAINT "memberships_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "prospects" ADD CONSTRAINT "prospects_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "meetings" ADD CONSTRAINT "meetings_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "meetings" ADD CONSTRAINT "meetings_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "meetings" ADD CONSTRAINT "meetings_prospect_id_fkey" FOREIGN KEY ("prospect_id") REFERENCES "prospects"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "transcripts" ADD CONSTRAINT "transcripts_meeting_id_fkey" FOREIGN KEY ("meeting_id") REFERENCES "meetings"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "transcripts" ADD CONSTRAINT "transcripts_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "transcript_embeddings" ADD CONSTRAINT "transcript_embeddings_transcript_id_fkey" FOREIGN KEY ("transcript_id") REFERENCES "transcripts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "call_intelligence" ADD CONSTRAINT "call_intelligence_meeting_id_fkey" FOREIGN KEY ("meeting_id") REFERENCES "meetings"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "call_intelligence" ADD CONSTRAINT "call_intelligence_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "prospect_intelligence" ADD CONSTRAINT "prospect_intelligence_prospect_id_fkey" FOREIGN KEY ("prospect_id") REFERENCES "prospects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "prospect_intelligence" ADD CONSTRAINT "prospect_intelligence_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE SET NULL ON UPDATE CASCADE;
