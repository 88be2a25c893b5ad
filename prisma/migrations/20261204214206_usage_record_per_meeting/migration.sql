-- CreateIndex
CREATE UNIQUE INDEX "usage_records_meeting_id_metric_key" ON "usage_records"("meeting_id", "metric");
