// authorization.k8s.io/v1: access reviews — may this user (SubjectAccessReview), this user in this namespace
// (LocalSubjectAccessReview), or I (SelfSubjectAccessReview, `kubectl auth can-i`) do this; and what may I do in a
// namespace (SelfSubjectRulesReview, `kubectl auth can-i --list`). Created and answered, never stored.
import { bool, list, map, obj, pkg, ref, str, strings, typeMeta, type Definition } from './dsl.js';
import { meta } from './meta.js';

export const authorization = pkg('io.k8s.api.authorization.v1');

const gvk = (kind: string) => [{ group: 'authorization.k8s.io', version: 'v1', kind }];
const review = (spec: string, status: string, what: string) => ({
  ...typeMeta(meta('ObjectMeta')),
  spec: ref(authorization(spec), `The ${what} being asked about.`, { default: {} }),
  status: ref(authorization(status), 'Filled by the server: the answer.', { default: {} }),
});
const attributes = {
  nonResourceAttributes: ref(authorization('NonResourceAttributes'), 'A request for a non-resource URL; set this or resourceAttributes.'),
  resourceAttributes: ref(authorization('ResourceAttributes'), 'A request for a resource; set this or nonResourceAttributes.'),
};

export const authorizationDefinitions: Definition[] = [
  obj(authorization('SubjectAccessReview'), 'Asks whether a user or group may perform an action.', review('SubjectAccessReviewSpec', 'SubjectAccessReviewStatus', 'user and action'), { required: ['spec'], gvk: gvk('SubjectAccessReview') }),
  obj(authorization('LocalSubjectAccessReview'), 'Asks whether a user or group may perform an action in one namespace; created in that namespace, so namespace admins may ask it.', review('SubjectAccessReviewSpec', 'SubjectAccessReviewStatus', 'user and action'), { required: ['spec'], gvk: gvk('LocalSubjectAccessReview') }),
  obj(authorization('SelfSubjectAccessReview'), 'Asks whether the requesting user may perform an action (kubectl auth can-i).', review('SelfSubjectAccessReviewSpec', 'SubjectAccessReviewStatus', 'action'), { required: ['spec'], gvk: gvk('SelfSubjectAccessReview') }),
  obj(authorization('SelfSubjectRulesReview'), 'Lists what the requesting user may do in a namespace (kubectl auth can-i --list). The list may be incomplete depending on the authorizers; use a SelfSubjectAccessReview to decide.', review('SelfSubjectRulesReviewSpec', 'SubjectRulesReviewStatus', 'namespace'), { required: ['spec'], gvk: gvk('SelfSubjectRulesReview') }),

  obj(authorization('SubjectAccessReviewSpec'), 'The user and the action. Exactly one of resourceAttributes and nonResourceAttributes is set.', {
    extra: map({ type: 'array', items: { type: 'string', default: '' } }, 'Extra attributes of the user, as the authenticator provided them.'),
    groups: strings('The groups the user belongs to.', { listType: 'atomic' }),
    ...attributes,
    uid: str('UID of the user.'),
    user: str('The user being asked about. Either user or groups is required.'),
  }),
  obj(authorization('SelfSubjectAccessReviewSpec'), 'The action the requesting user asks about. Exactly one of resourceAttributes and nonResourceAttributes is set.', attributes),
  obj(authorization('SelfSubjectRulesReviewSpec'), 'Where to list the rules.', {
    namespace: str('The namespace to list the rules of.'),
  }),

  obj(authorization('ResourceAttributes'), 'An action on a resource, as an authorizer sees it.', {
    fieldSelector: ref(authorization('FieldSelectorAttributes'), 'The field selector of a list, watch or deletecollection; authorizers may limit access by it.'),
    group: str('API group of the resource; "*" means all.'),
    labelSelector: ref(authorization('LabelSelectorAttributes'), 'The label selector of a list, watch or deletecollection; authorizers may limit access by it.'),
    name: str('Name of the object acted on; empty means all ("get" and "delete" of a collection).'),
    namespace: str('Namespace of the action; empty means all namespaces for namespaced resources, and nothing for cluster-scoped ones.'),
    resource: str('The resource; "*" means all.'),
    subresource: str('The subresource; "" means none, "*" all.'),
    verb: str('A Kubernetes resource API verb (get, list, watch, create, update, delete, proxy…); "*" means all.'),
    version: str('API version of the resource; "*" means all.'),
  }),
  obj(authorization('NonResourceAttributes'), 'An action on a URL outside the resource API.', {
    path: str('The URL path.'),
    verb: str('The standard HTTP verb, lowercase.'),
  }),
  obj(authorization('FieldSelectorAttributes'), 'A field selector, raw or parsed; exactly one of them is set.', {
    rawSelector: str('The selector as a query parameter would carry it.'),
    requirements: list(meta('FieldSelectorRequirement'), 'The parsed requirements.', { listType: 'atomic' }),
  }),
  obj(authorization('LabelSelectorAttributes'), 'A label selector, raw or parsed; exactly one of them is set.', {
    rawSelector: str('The selector as a query parameter would carry it.'),
    requirements: list(meta('LabelSelectorRequirement'), 'The parsed requirements.', { listType: 'atomic' }),
  }),

  obj(authorization('SubjectAccessReviewStatus'), 'The answer to an access review.', {
    allowed: bool('Whether the action is allowed.'),
    denied: bool('Whether the action is explicitly denied (an authorizer said no); both allowed and denied false means no authorizer had an opinion.'),
    evaluationError: str('An error met while checking; the answer may still be correct, since authorizers decide without everything they could read.'),
    reason: str('Why the action is allowed or denied.'),
  }, { required: ['allowed'] }),
  obj(authorization('SubjectRulesReviewStatus'), 'What the user may do in the namespace.', {
    evaluationError: str('An error met while listing; the list may be incomplete.'),
    incomplete: bool('True when the list is partial, because an authorizer cannot list rules or an error occurred.'),
    nonResourceRules: list(authorization('NonResourceRule'), 'Actions allowed on non-resource URLs.', { listType: 'atomic' }),
    resourceRules: list(authorization('ResourceRule'), 'Actions allowed on resources.', { listType: 'atomic' }),
  }, { required: ['resourceRules', 'nonResourceRules', 'incomplete'] }),
  obj(authorization('ResourceRule'), 'Verbs allowed on resources.', {
    apiGroups: strings('API groups of the resources; "*" means all.', { listType: 'atomic' }),
    resourceNames: strings('The objects the rule is limited to; empty means all.', { listType: 'atomic' }),
    resources: strings('The resources, with subresources as "pods/log"; "*" means all.', { listType: 'atomic' }),
    verbs: strings('Verbs allowed; "*" means all.', { listType: 'atomic' }),
  }, { required: ['verbs'] }),
  obj(authorization('NonResourceRule'), 'Verbs allowed on non-resource URLs.', {
    nonResourceURLs: strings('The URLs; "*" may end a path as a prefix match.', { listType: 'atomic' }),
    verbs: strings('Verbs allowed; "*" means all.', { listType: 'atomic' }),
  }, { required: ['verbs'] }),
];
