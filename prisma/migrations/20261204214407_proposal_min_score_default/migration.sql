-- AlterTable
ALTER TABLE "organizations" ALTER COLUMN "proposal_min_score" SET DEFAULT 50;
