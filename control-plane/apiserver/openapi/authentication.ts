// authentication.k8s.io/v1: TokenReview (who a bearer token belongs to), SelfSubjectReview (who am I, for
// `kubectl auth whoami`) and TokenRequest (the body of serviceaccounts/<name>/token, `kubectl create token`). None of
// them is stored: each is created and answered.
import { bool, int64, map, obj, pkg, ref, str, strings, typeMeta, type Definition } from './dsl.js';
import { meta, time } from './meta.js';

export const authentication = pkg('io.k8s.api.authentication.v1');

const gvk = (kind: string) => [{ group: 'authentication.k8s.io', version: 'v1', kind }];

export const authenticationDefinitions: Definition[] = [
  obj(authentication('UserInfo'), 'A user as authentication established it.', {
    extra: map({ type: 'array', items: { type: 'string', default: '' } }, 'Any additional information the authenticator provided.'),
    groups: strings('The groups the user belongs to.', { listType: 'atomic' }),
    uid: str('A value that identifies the user across time, distinguishing it from a later user of the same name.'),
    username: str('The name that identifies the user among all active users.'),
  }),

  obj(authentication('TokenReview'), 'A request to authenticate a bearer token: the answer says whether it is valid and whose it is.', {
    ...typeMeta(meta('ObjectMeta')),
    spec: ref(authentication('TokenReviewSpec'), 'The token to review.', { default: {} }),
    status: ref(authentication('TokenReviewStatus'), 'Filled by the server: whether the token authenticates, and as whom.', { default: {} }),
  }, { required: ['spec'], gvk: gvk('TokenReview') }),
  obj(authentication('TokenReviewSpec'), 'The token to authenticate.', {
    audiences: strings('Audiences the resource server identifies as; the token must be valid for at least one of them. Empty means the API server\'s own audiences.', { listType: 'atomic' }),
    token: str('The opaque bearer token.'),
  }),
  obj(authentication('TokenReviewStatus'), 'The result of a token review.', {
    audiences: strings('The audiences the token is valid for, among those asked for.', { listType: 'atomic' }),
    authenticated: bool('Whether the token belongs to a known user.'),
    error: str('Why the token could not be checked.'),
    user: ref(authentication('UserInfo'), 'The user the token belongs to.', { default: {} }),
  }),

  obj(authentication('SelfSubjectReview'), 'Asks who the requesting user is: the answer carries the user as the API server authenticated it.', {
    ...typeMeta(meta('ObjectMeta')),
    status: ref(authentication('SelfSubjectReviewStatus'), 'Filled by the server with the requesting user.', { default: {} }),
  }, { gvk: gvk('SelfSubjectReview') }),
  obj(authentication('SelfSubjectReviewStatus'), 'The requesting user.', {
    userInfo: ref(authentication('UserInfo'), 'The user attributes of the requester.', { default: {} }),
  }),

  obj(authentication('TokenRequest'), 'Requests a token for a service account (the serviceaccounts/token subresource).', {
    ...typeMeta(meta('ObjectMeta')),
    spec: ref(authentication('TokenRequestSpec'), 'The audiences, lifetime and binding asked for.', { default: {} }),
    status: ref(authentication('TokenRequestStatus'), 'The issued token.', { default: {} }),
  }, { required: ['spec'], gvk: gvk('TokenRequest') }),
  obj(authentication('TokenRequestSpec'), 'What the requested token is for.', {
    audiences: strings('Intended audiences of the token; a recipient must identify with one of them. Empty means the API server\'s own audiences.', { listType: 'atomic' }),
    boundObjectRef: ref(authentication('BoundObjectReference'), 'An object the token is bound to: the token is valid only while that object exists.'),
    expirationSeconds: int64('Requested lifetime in seconds; the issuer may choose another, so read status.expirationTimestamp.'),
  }, { required: ['audiences'] }),
  obj(authentication('TokenRequestStatus'), 'The token issued.', {
    expirationTimestamp: time('When the token expires.'),
    token: str('The opaque bearer token.'),
  }, { required: ['token', 'expirationTimestamp'] }),
  obj(authentication('BoundObjectReference'), 'The object a token is bound to.', {
    apiVersion: str('API version of the object.'),
    kind: str('Kind of the object: Pod, Secret or Node.'),
    name: str('Name of the object.'),
    uid: str('UID of the object.'),
  }),
];
