-- CreateEnum
CREATE TYPE "ConsentScope" AS ENUM ('generate_from_call_data', 'use_price_book', 'require_rep_approval');

-- CreateEnum
CREATE TYPE "ProposalStatus" AS ENUM ('generating', 'blocked', 'awaiting_decision', 'approved', 'rejected', 'expired', 'sent', 'signed', 'declined', 'voided', 'failed');

-- CreateEnum
CREATE TYPE "SigningPath" AS ENUM ('built_in', 'docusign', 'pandadoc');

-- CreateEnum
CREATE TYPE "ProposalDecisionKind" AS ENUM ('approve', 'reject', 'edit');

-- CreateEnum
CREATE TYPE "DocumentKind" AS ENUM ('io', 'signed_io');

-- CreateEnum
CREATE TYPE "SigningRequestStatus" AS ENUM ('pending', 'signed', 'declined', 'expired', 'voided');

-- CreateEnum
CREATE TYPE "EnvelopeProvider" AS ENUM ('docusign', 'pandadoc');

-- CreateEnum
CREATE TYPE "OAuthProvider" AS ENUM ('docusign', 'pandadoc', 'gmail');

-- CreateEnum
CREATE TYPE "OAuthConnectionStatus" AS ENUM ('active', 'needs_reconnect');

-- CreateEnum
CREATE TYPE "CampaignStatus" AS ENUM ('draft', 'active', 'paused', 'completed');

-- CreateEnum
CREATE TYPE "CampaignRecipientStatus" AS ENUM ('pending', 'sent', 'replied', 'bounced', 'unsubscribed');

-- CreateEnum
CREATE TYPE "SuppressionReason" AS ENUM ('unsubscribed', 'bounced');

-- CreateEnum
CREATE TYPE "BookingStatus" AS ENUM ('booked', 'rescheduled', 'cancelled');

-- CreateEnum
CREATE TYPE "SubscriptionStatus" AS ENUM ('none', 'trialing', 'active', 'past_due', 'restricted', 'canceled');

-- CreateEnum
CREATE TYPE "AccountDeletionStatus" AS ENUM ('waiting', 'cancelled', 'deleting', 'completed');

-- CreateEnum
CREATE TYPE "DataExportStatus" AS ENUM ('preparing', 'ready', 'expired', 'failed');

-- AlterTable
ALTER TABLE "organizations" ADD COLUMN     "default_signing_path" "SigningPath" NOT NULL DEFAULT 'built_in',
ADD COLUMN     "instantly_webhook_secret_hash" TEXT,
ADD COLUMN     "proposal_min_score" INTEGER NOT NULL DEFAULT 60;

-- CreateTable
CREATE TABLE "consent_records" (
    "id" UUID NOT NULL,
    "organization_id" TEXT NOT NULL,
    "scope" "ConsentScope" NOT NULL,
    "granted" BOOLEAN NOT NULL,
    "changed_by_id" TEXT NOT NULL,
    "changed_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "consent_records_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "price_books" (
    "organization_id" TEXT NOT NULL,
    "currency" TEXT NOT NULL DEFAULT 'USD',
    "terms" TEXT NOT NULL DEFAULT '',
    "updated_by_id" TEXT,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "price_books_pkey" PRIMARY KEY ("organization_id")
);

-- CreateTable
CREATE TABLE "price_book_items" (
    "id" UUID NOT NULL,
    "organization_id" TEXT NOT NULL,
    "sku" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "unit_price_minor" INTEGER NOT NULL,
    "unit" TEXT NOT NULL,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "price_book_items_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "proposals" (
    "id" UUID NOT NULL,
    "organization_id" TEXT NOT NULL,
    "meeting_id" UUID NOT NULL,
    "prospect_id" UUID,
    "rep_user_id" TEXT NOT NULL,
    "status" "ProposalStatus" NOT NULL DEFAULT 'generating',
    "status_changed_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "blocked_reason" TEXT,
    "signing_path" "SigningPath" NOT NULL DEFAULT 'built_in',
    "latest_version" INTEGER NOT NULL DEFAULT 0,
    "approved_version" INTEGER,
    "rejection_reason" TEXT,
    "expires_at" TIMESTAMP(3),
    "document_sha256" TEXT,
    "signer_name" TEXT,
    "signer_email" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "proposals_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "proposal_versions" (
    "id" UUID NOT NULL,
    "proposal_id" UUID NOT NULL,
    "version" INTEGER NOT NULL,
    "content" JSONB NOT NULL,
    "content_hash" TEXT NOT NULL,
    "created_by_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "proposal_versions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "proposal_decisions" (
    "id" UUID NOT NULL,
    "proposal_id" UUID NOT NULL,
    "kind" "ProposalDecisionKind" NOT NULL,
    "version" INTEGER NOT NULL,
    "content_hash" TEXT NOT NULL,
    "reason" TEXT,
    "actor_user_id" TEXT NOT NULL,
    "update_id" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "proposal_decisions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "documents" (
    "id" UUID NOT NULL,
    "organization_id" TEXT NOT NULL,
    "proposal_id" UUID NOT NULL,
    "kind" "DocumentKind" NOT NULL,
    "version" INTEGER NOT NULL,
    "sha256" TEXT NOT NULL,
    "content_type" TEXT NOT NULL DEFAULT 'application/pdf',
    "bytes" BYTEA NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "documents_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "signing_requests" (
    "id" UUID NOT NULL,
    "organization_id" TEXT NOT NULL,
    "proposal_id" UUID NOT NULL,
    "document_id" UUID NOT NULL,
    "token_hash" TEXT NOT NULL,
    "status" "SigningRequestStatus" NOT NULL DEFAULT 'pending',
    "signer_name" TEXT NOT NULL,
    "signer_email" TEXT NOT NULL,
    "expires_at" TIMESTAMP(3) NOT NULL,
    "used_at" TIMESTAMP(3),
    "typed_name" TEXT,
    "signer_ip" TEXT,
    "signer_user_agent" TEXT,
    "signed_document_id" UUID,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "signing_requests_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "envelopes" (
    "id" UUID NOT NULL,
    "organization_id" TEXT NOT NULL,
    "proposal_id" UUID NOT NULL,
    "provider" "EnvelopeProvider" NOT NULL,
    "external_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "status_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "envelopes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "cover_emails" (
    "id" UUID NOT NULL,
    "organization_id" TEXT NOT NULL,
    "proposal_id" UUID NOT NULL,
    "sender_user_id" TEXT NOT NULL,
    "gmail_message_id" TEXT,
    "message_id_header" TEXT NOT NULL,
    "sent_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "cover_emails_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "oauth_connections" (
    "id" UUID NOT NULL,
    "user_id" TEXT NOT NULL,
    "organization_id" TEXT NOT NULL,
    "provider" "OAuthProvider" NOT NULL,
    "status" "OAuthConnectionStatus" NOT NULL DEFAULT 'active',
    "external_account" TEXT,
    "scopes" TEXT[],
    "key_id" TEXT NOT NULL,
    "access_token_ciphertext" TEXT NOT NULL,
    "refresh_token_ciphertext" TEXT,
    "access_token_expires_at" TIMESTAMP(3) NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "oauth_connections_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "campaigns" (
    "id" UUID NOT NULL,
    "organization_id" TEXT NOT NULL,
    "created_by_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "status" "CampaignStatus" NOT NULL DEFAULT 'draft',
    "instantly_campaign_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "campaigns_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "campaign_recipients" (
    "id" UUID NOT NULL,
    "campaign_id" UUID NOT NULL,
    "prospect_id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "status" "CampaignRecipientStatus" NOT NULL DEFAULT 'pending',
    "status_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "campaign_recipients_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "email_suppressions" (
    "id" UUID NOT NULL,
    "organization_id" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "reason" "SuppressionReason" NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "email_suppressions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "cal_bookings" (
    "id" UUID NOT NULL,
    "organization_id" TEXT NOT NULL,
    "uid" TEXT NOT NULL,
    "campaign_id" UUID,
    "prospect_id" UUID NOT NULL,
    "meeting_id" UUID,
    "start_time" TIMESTAMP(3) NOT NULL,
    "status" "BookingStatus" NOT NULL DEFAULT 'booked',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "cal_bookings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "billing_accounts" (
    "organization_id" TEXT NOT NULL,
    "stripe_customer_id" TEXT,
    "stripe_subscription_id" TEXT,
    "plan" TEXT NOT NULL DEFAULT 'free',
    "status" "SubscriptionStatus" NOT NULL DEFAULT 'none',
    "recorded_minutes_per_month" INTEGER NOT NULL DEFAULT 60,
    "current_period_end" TIMESTAMP(3),
    "grace_ends_at" TIMESTAMP(3),
    "last_event_created_at" TIMESTAMP(3),
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "billing_accounts_pkey" PRIMARY KEY ("organization_id")
);

-- CreateTable
CREATE TABLE "usage_records" (
    "id" UUID NOT NULL,
    "organization_id" TEXT NOT NULL,
    "meeting_id" UUID,
    "user_id" TEXT,
    "metric" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL,
    "recorded_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "usage_records_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "application_logs" (
    "id" UUID NOT NULL,
    "organization_id" TEXT,
    "user_id" TEXT,
    "level" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "fields" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "application_logs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "retention_runs" (
    "id" UUID NOT NULL,
    "scheduled_for" TIMESTAMP(3) NOT NULL,
    "workflow_id" TEXT NOT NULL,
    "started_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMP(3),
    "counts" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "retention_runs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "subprocessor_deletions" (
    "id" UUID NOT NULL,
    "organization_id" TEXT,
    "provider" TEXT NOT NULL,
    "external_id" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "run_id" UUID,
    "requested_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "confirmed_at" TIMESTAMP(3),

    CONSTRAINT "subprocessor_deletions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "account_deletion_requests" (
    "id" UUID NOT NULL,
    "user_id" TEXT NOT NULL,
    "status" "AccountDeletionStatus" NOT NULL DEFAULT 'waiting',
    "requested_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delete_after" TIMESTAMP(3) NOT NULL,
    "finished_at" TIMESTAMP(3),

    CONSTRAINT "account_deletion_requests_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "data_exports" (
    "id" UUID NOT NULL,
    "user_id" TEXT NOT NULL,
    "status" "DataExportStatus" NOT NULL DEFAULT 'preparing',
    "archive" BYTEA,
    "archive_sha256" TEXT,
    "token_hash" TEXT,
    "expires_at" TIMESTAMP(3),
    "requested_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "data_exports_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "consent_records_organization_id_scope_changed_at_idx" ON "consent_records"("organization_id", "scope", "changed_at");

-- CreateIndex
CREATE UNIQUE INDEX "price_book_items_organization_id_sku_key" ON "price_book_items"("organization_id", "sku");

-- CreateIndex
CREATE UNIQUE INDEX "proposals_meeting_id_key" ON "proposals"("meeting_id");

-- CreateIndex
CREATE INDEX "proposals_organization_id_status_idx" ON "proposals"("organization_id", "status");

-- CreateIndex
CREATE INDEX "proposals_rep_user_id_status_idx" ON "proposals"("rep_user_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "proposal_versions_proposal_id_version_key" ON "proposal_versions"("proposal_id", "version");

-- CreateIndex
CREATE UNIQUE INDEX "proposal_decisions_update_id_key" ON "proposal_decisions"("update_id");

-- CreateIndex
CREATE INDEX "proposal_decisions_proposal_id_created_at_idx" ON "proposal_decisions"("proposal_id", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "documents_proposal_id_kind_version_key" ON "documents"("proposal_id", "kind", "version");

-- CreateIndex
CREATE UNIQUE INDEX "signing_requests_token_hash_key" ON "signing_requests"("token_hash");

-- CreateIndex
CREATE INDEX "signing_requests_expires_at_idx" ON "signing_requests"("expires_at");

-- CreateIndex
CREATE UNIQUE INDEX "envelopes_provider_external_id_key" ON "envelopes"("provider", "external_id");

-- CreateIndex
CREATE UNIQUE INDEX "envelopes_proposal_id_provider_key" ON "envelopes"("proposal_id", "provider");

-- CreateIndex
CREATE UNIQUE INDEX "cover_emails_proposal_id_key" ON "cover_emails"("proposal_id");

-- CreateIndex
CREATE UNIQUE INDEX "cover_emails_message_id_header_key" ON "cover_emails"("message_id_header");

-- CreateIndex
CREATE UNIQUE INDEX "oauth_connections_user_id_provider_key" ON "oauth_connections"("user_id", "provider");

-- CreateIndex
CREATE UNIQUE INDEX "campaigns_instantly_campaign_id_key" ON "campaigns"("instantly_campaign_id");

-- CreateIndex
CREATE INDEX "campaigns_organization_id_status_idx" ON "campaigns"("organization_id", "status");

-- CreateIndex
CREATE UNIQUE INDEX "campaign_recipients_campaign_id_email_key" ON "campaign_recipients"("campaign_id", "email");

-- CreateIndex
CREATE UNIQUE INDEX "email_suppressions_organization_id_email_key" ON "email_suppressions"("organization_id", "email");

-- CreateIndex
CREATE UNIQUE INDEX "cal_bookings_uid_key" ON "cal_bookings"("uid");

-- CreateIndex
CREATE UNIQUE INDEX "cal_bookings_meeting_id_key" ON "cal_bookings"("meeting_id");

-- CreateIndex
CREATE UNIQUE INDEX "billing_accounts_stripe_customer_id_key" ON "billing_accounts"("stripe_customer_id");

-- CreateIndex
CREATE UNIQUE INDEX "billing_accounts_stripe_subscription_id_key" ON "billing_accounts"("stripe_subscription_id");

-- CreateIndex
CREATE INDEX "usage_records_organization_id_recorded_at_idx" ON "usage_records"("organization_id", "recorded_at");

-- CreateIndex
CREATE INDEX "usage_records_recorded_at_idx" ON "usage_records"("recorded_at");

-- CreateIndex
CREATE INDEX "application_logs_created_at_idx" ON "application_logs"("created_at");

-- CreateIndex
CREATE INDEX "application_logs_user_id_idx" ON "application_logs"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "retention_runs_workflow_id_key" ON "retention_runs"("workflow_id");

-- CreateIndex
CREATE UNIQUE INDEX "subprocessor_deletions_provider_external_id_key" ON "subprocessor_deletions"("provider", "external_id");

-- CreateIndex
CREATE INDEX "account_deletion_requests_user_id_idx" ON "account_deletion_requests"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "data_exports_token_hash_key" ON "data_exports"("token_hash");

-- CreateIndex
CREATE INDEX "data_exports_expires_at_idx" ON "data_exports"("expires_at");

-- AddForeignKey
ALTER TABLE "consent_records" ADD CONSTRAINT "consent_records_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consent_records" ADD CONSTRAINT "consent_records_changed_by_id_fkey" FOREIGN KEY ("changed_by_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "price_books" ADD CONSTRAINT "price_books_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "price_book_items" ADD CONSTRAINT "price_book_items_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "price_books"("organization_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "proposals" ADD CONSTRAINT "proposals_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "proposals" ADD CONSTRAINT "proposals_meeting_id_fkey" FOREIGN KEY ("meeting_id") REFERENCES "meetings"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "proposals" ADD CONSTRAINT "proposals_prospect_id_fkey" FOREIGN KEY ("prospect_id") REFERENCES "prospects"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "proposals" ADD CONSTRAINT "proposals_rep_user_id_fkey" FOREIGN KEY ("rep_user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "proposal_versions" ADD CONSTRAINT "proposal_versions_proposal_id_fkey" FOREIGN KEY ("proposal_id") REFERENCES "proposals"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "proposal_decisions" ADD CONSTRAINT "proposal_decisions_proposal_id_fkey" FOREIGN KEY ("proposal_id") REFERENCES "proposals"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "documents" ADD CONSTRAINT "documents_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "documents" ADD CONSTRAINT "documents_proposal_id_fkey" FOREIGN KEY ("proposal_id") REFERENCES "proposals"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "signing_requests" ADD CONSTRAINT "signing_requests_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "signing_requests" ADD CONSTRAINT "signing_requests_proposal_id_fkey" FOREIGN KEY ("proposal_id") REFERENCES "proposals"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "envelopes" ADD CONSTRAINT "envelopes_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "envelopes" ADD CONSTRAINT "envelopes_proposal_id_fkey" FOREIGN KEY ("proposal_id") REFERENCES "proposals"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cover_emails" ADD CONSTRAINT "cover_emails_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "oauth_connections" ADD CONSTRAINT "oauth_connections_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "oauth_connections" ADD CONSTRAINT "oauth_connections_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "campaigns" ADD CONSTRAINT "campaigns_created_by_id_fkey" FOREIGN KEY ("created_by_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "campaign_recipients" ADD CONSTRAINT "campaign_recipients_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "campaign_recipients" ADD CONSTRAINT "campaign_recipients_prospect_id_fkey" FOREIGN KEY ("prospect_id") REFERENCES "prospects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "email_suppressions" ADD CONSTRAINT "email_suppressions_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cal_bookings" ADD CONSTRAINT "cal_bookings_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cal_bookings" ADD CONSTRAINT "cal_bookings_campaign_id_fkey" FOREIGN KEY ("campaign_id") REFERENCES "campaigns"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "cal_bookings" ADD CONSTRAINT "cal_bookings_prospect_id_fkey" FOREIGN KEY ("prospect_id") REFERENCES "prospects"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "billing_accounts" ADD CONSTRAINT "billing_accounts_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "usage_records" ADD CONSTRAINT "usage_records_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "subprocessor_deletions" ADD CONSTRAINT "subprocessor_deletions_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "retention_runs"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "data_exports" ADD CONSTRAINT "data_exports_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
