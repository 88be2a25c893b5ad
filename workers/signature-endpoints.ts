import type { SignatureEndpoints } from '../activities/e-signature';
import type { TConfig } from '../lib/config';

// Gmail, DocuSign and PandaDoc are called with the rep's own OAuth token, so each one is real exactly when its
// OAuth app is configured (the same test lib/oauth/provider-clients.ts makes). Otherwise the calls go to the
// sandbox stand-in that issued the sandbox token.

export function signatureEndpointsFor(config: TConfig): SignatureEndpoints {
  const sandbox = config.sandboxUrl;
  const realGmail = config.GOOGLE_CLIENT_ID !== undefined && config.GOOGLE_CLIENT_SECRET !== undefined;
  const realDocusign = config.DOCUSIGN_CLIENT_ID !== undefined && config.DOCUSIGN_CLIENT_SECRET !== undefined;
  const realPandadoc = config.PANDADOC_CLIENT_ID !== undefined && config.PANDADOC_CLIENT_SECRET !== undefined;

  return {
    // googleapis keeps only the origin of rootUrl and adds `gmail/v1/...` itself.
    gmailRootUrl: realGmail ? (config.GMAIL_ROOT_URL ?? 'https://gmail.googleapis.com/') : `${sandbox}/`,
    docusignBasePath: realDocusign
      ? (config.DOCUSIGN_BASE_PATH ?? 'https://demo.docusign.net/restapi')
      : `${sandbox}/docusign/restapi`,
    pandadocBaseUrl: realPandadoc ? (config.PANDADOC_BASE_URL ?? 'https://api.pandadoc.com') : `${sandbox}/pandadoc`,
  };
}
