-- Row-level security on OAuth connections: a query sees and changes only the rows of the user named in the
-- transaction-local setting `app.user_id` (lib/oauth/rls.ts sets it). Without the setting no row is visible.
-- FORCE applies the policy to the table owner too, because the application connects as that owner.
-- Superusers and roles with BYPASSRLS are not subject to it, and PGlite runs as a superuser.
-- Foreign-key cascades (deleting a user or an organization) bypass row-level security in PostgreSQL.

ALTER TABLE "oauth_connections" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "oauth_connections" FORCE ROW LEVEL SECURITY;

CREATE POLICY "oauth_connections_own_rows" ON "oauth_connections"
  USING ("user_id" = current_setting('app.user_id', true))
  WITH CHECK ("user_id" = current_setting('app.user_id', true));
