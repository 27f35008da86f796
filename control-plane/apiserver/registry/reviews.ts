// The review APIs (kube: pkg/registry/authentication/{tokenreview,selfsubjectreview} and
// pkg/registry/authorization/*): create-only kinds that store nothing and answer with a status — who a token
// belongs to (TokenReview), who the caller is (SelfSubjectReview, `kubectl auth whoami`), whether someone may do
// something (SubjectAccessReview, LocalSubjectAccessReview, SelfSubjectAccessReview — `kubectl auth can-i`), and what
// the caller may do in a namespace (SelfSubjectRulesReview — `kubectl auth can-i --list`).
import { badRequest, StatusError } from '../../../api/errors.js';
import type { Attributes, KubeObject, PolicyRule, UserInfo } from '../../../api/types.js';
import { rulesFor } from '../authorization/rbac/rules.js';
import type { ResourceRef } from '../../../api/resources.js';
import type { ApiServices } from './services.js';
import { strategy, type Strategy } from './strategy.js';

type Any = any;

/** What a review kind computes from the request: the object it answers with (spec kept, status filled). */
export type Review = (body: Any, ctx: { user: UserInfo; namespace?: string; services: ApiServices }) => Promise<KubeObject> | KubeObject;

/** A review kind as the kinds table holds it. */
export interface ReviewDef extends ResourceRef {
  singular: string;
  subresources: string[];
  strategy: Strategy;
  review: Review;
}

const userInfoOut = (u: UserInfo) => ({ username: u.name, ...(u.uid ? { uid: u.uid } : {}), groups: u.groups, ...(u.extra && Object.keys(u.extra).length ? { extra: u.extra } : {}) });

/** The attributes a SubjectAccessReview spec asks about, for a user. */
function attributesFrom(spec: Any, user: UserInfo): Attributes {
  const r = spec?.resourceAttributes;
  const n = spec?.nonResourceAttributes;
  if (r && n) throw badRequest('exactly one of nonResourceAttributes or resourceAttributes must be specified');
  if (n) return { user, verb: n.verb ?? '', isResourceRequest: false, path: n.path ?? '' };
  if (!r) throw badRequest('exactly one of nonResourceAttributes or resourceAttributes must be specified');
  return { user, verb: r.verb ?? '', isResourceRequest: true, apiGroup: r.group ?? '', apiVersion: r.version, namespace: r.namespace || undefined, resource: r.resource ?? '', subresource: r.subresource || undefined, name: r.name || undefined };
}

function accessStatus(services: ApiServices, attrs: Attributes) {
  const d = services.authorizer.authorize(attrs);
  return d.allowed ? { allowed: true, ...(d.reason ? { reason: d.reason } : {}) } : { allowed: false, ...(d.reason ? { reason: d.reason } : {}) };
}

const answer = (kind: string, apiVersion: string, body: Any, status: unknown, namespace?: string): KubeObject => ({
  kind,
  apiVersion,
  metadata: { ...(body?.metadata?.name ? { name: body.metadata.name } : {}), ...(namespace ? { namespace } : {}), creationTimestamp: null as unknown as string },
  spec: body?.spec ?? {},
  status,
});

const tokenReview: Review = async (body, { services }) => {
  const token = body?.spec?.token;
  if (typeof token !== 'string' || !token) throw new StatusError(422, 'Invalid', 'TokenReview.authentication.k8s.io "" is invalid: spec.token: Required value', { kind: 'TokenReview', group: 'authentication.k8s.io', causes: [{ reason: 'FieldValueRequired', field: 'spec.token', message: 'Required value' }] });
  const audiences: string[] | undefined = Array.isArray(body.spec.audiences) && body.spec.audiences.length ? body.spec.audiences : undefined;
  const r = await services.authenticator.authenticateToken(token, audiences);
  const status = r && 'user' in r ? { authenticated: true, user: userInfoOut(r.user), audiences: audiences ?? [services.serviceAccounts.issuer] } : { authenticated: false, user: {}, ...(r && 'error' in r ? { error: r.error } : {}) };
  return answer('TokenReview', 'authentication.k8s.io/v1', body, status);
};

const selfSubjectReview: Review = (body, { user }) => ({ kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null as unknown as string }, status: { userInfo: userInfoOut(user) } });

const subjectAccessReview: Review = (body, { services }) => {
  const spec = body?.spec ?? {};
  if (!spec.user && !(spec.groups ?? []).length) throw badRequest('at least one of user or group must be specified');
  const subject: UserInfo = { name: spec.user ?? '', uid: spec.uid, groups: spec.groups ?? [], extra: spec.extra };
  return answer('SubjectAccessReview', 'authorization.k8s.io/v1', body, accessStatus(services, attributesFrom(spec, subject)));
};

const localSubjectAccessReview: Review = (body, { services, namespace }) => {
  const spec = body?.spec ?? {};
  const ns = spec.resourceAttributes?.namespace;
  if (ns !== undefined && ns !== '' && ns !== namespace) throw badRequest(`spec.resourceAttributes.namespace must match metadata.namespace: "${ns}" != "${namespace}"`);
  if (!spec.resourceAttributes) throw badRequest('spec.resourceAttributes must be specified');
  const subject: UserInfo = { name: spec.user ?? '', uid: spec.uid, groups: spec.groups ?? [], extra: spec.extra };
  return answer('LocalSubjectAccessReview', 'authorization.k8s.io/v1', body, accessStatus(services, attributesFrom({ ...spec, resourceAttributes: { ...spec.resourceAttributes, namespace } }, subject)), namespace);
};

const selfSubjectAccessReview: Review = (body, { user, services }) => answer('SelfSubjectAccessReview', 'authorization.k8s.io/v1', body, accessStatus(services, attributesFrom(body?.spec, user)));

/** RBAC's rules for the caller, as SelfSubjectRulesReview lists them (resource rules and non-resource rules apart). */
const selfSubjectRulesReview: Review = (body, { user, services }) => {
  const namespace = body?.spec?.namespace;
  if (!namespace) throw badRequest('no namespace on request');
  const { rules, errors } = rulesFor(services.rbac, user, namespace);
  const resourceRules = rules.filter((r: PolicyRule) => r.resources?.length).map((r) => ({ verbs: r.verbs, apiGroups: r.apiGroups ?? [], resources: r.resources ?? [], ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}) }));
  const nonResourceRules = rules.filter((r) => r.nonResourceURLs?.length).map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs! }));
  // Members of system:masters are allowed by a short cut, not by rules: the list cannot show all they may do.
  const incomplete = errors.length > 0 || user.groups.includes('system:masters');
  return answer('SelfSubjectRulesReview', 'authorization.k8s.io/v1', body, { resourceRules, nonResourceRules, incomplete, ...(errors.length ? { evaluationError: errors.join(', ') } : {}) });
};

function reviewDef(group: string, plural: string, kind: string, namespaced: boolean, review: Review): ReviewDef {
  return { group, version: 'v1', plural, singular: '', kind, namespaced, subresources: [], strategy: strategy({ tracksGeneration: false }), review };
}

export const reviewKinds: ReviewDef[] = [
  reviewDef('authentication.k8s.io', 'tokenreviews', 'TokenReview', false, tokenReview),
  reviewDef('authentication.k8s.io', 'selfsubjectreviews', 'SelfSubjectReview', false, selfSubjectReview),
  reviewDef('authorization.k8s.io', 'subjectaccessreviews', 'SubjectAccessReview', false, subjectAccessReview),
  reviewDef('authorization.k8s.io', 'localsubjectaccessreviews', 'LocalSubjectAccessReview', true, localSubjectAccessReview),
  reviewDef('authorization.k8s.io', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', false, selfSubjectAccessReview),
  reviewDef('authorization.k8s.io', 'selfsubjectrulesreviews', 'SelfSubjectRulesReview', false, selfSubjectRulesReview),
];
