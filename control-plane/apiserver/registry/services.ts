// What some endpoints need besides storage (kube: the authenticator, authorizer and token generator the REST storage
// of the review and token APIs is built with).
import type { Authenticator } from '../authentication/index.js';
import type { ServiceAccountTokens } from '../authentication/serviceaccount.js';
import type { Authorizer } from '../authorization/index.js';
import type { RBACSource } from '../authorization/rbac/rules.js';

/**
 * What the review and token endpoints work with besides storage: who a token belongs to (TokenReview), what a user
 * may do (the access reviews, RBAC's escalation checks), the rules they hold (SelfSubjectRulesReview), and the
 * service-account token issuer (TokenRequest).
 */
export interface ApiServices {
  authenticator: Authenticator;
  authorizer: Authorizer;
  rbac: RBACSource;
  serviceAccounts: ServiceAccountTokens;
}
