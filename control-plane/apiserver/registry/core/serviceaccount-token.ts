// serviceaccounts/token, the TokenRequest API (kube: pkg/registry/core/serviceaccount/storage/token.go): a bound
// service-account token for audiences and a lifetime, optionally bound to a pod or secret that must exist (the token
// dies with it). A kubelet may only ask for tokens bound to pods on its own node (NodeRestriction).
import { badRequest, invalid, notFound, StatusError } from '../../../../api/errors.js';
import { formatTime } from '../../../../api/time.js';
import type { KubeObject, Pod } from '../../../../api/types.js';
import { nodeNameOf } from '../../authorization/node/authorizer.js';
import { findByPlural } from '../kinds.js';
import { methodNotAllowed, type Subresource } from '../rest.js';

type Any = any;

const MIN_SECONDS = 600;
const MAX_SECONDS = 2 ** 32;
const DEFAULT_SECONDS = 3600;

export const serviceAccountToken: Subresource = {
  async serve({ store, def, namespace, name, method, body, user, services }) {
    if (method !== 'POST') throw methodNotAllowed();
    if (!services) throw new StatusError(503, 'ServiceUnavailable', 'this API server does not issue service account tokens');
    const req = (body ?? {}) as Any;
    if (!req || typeof req !== 'object' || Array.isArray(req)) throw badRequest('the body of a token request must be a TokenRequest object');
    const spec = { ...(req.spec ?? {}) };
    spec.expirationSeconds ??= DEFAULT_SECONDS;
    spec.audiences = Array.isArray(spec.audiences) && spec.audiences.length ? spec.audiences : [services.serviceAccounts.issuer];
    if (!Number.isInteger(spec.expirationSeconds) || spec.expirationSeconds < MIN_SECONDS)
      throw invalid('TokenRequest', name, [{ reason: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `Invalid value: ${JSON.stringify(spec.expirationSeconds)}: may not specify a duration less than 10 minutes` }], 'authentication.k8s.io');
    if (spec.expirationSeconds > MAX_SECONDS)
      throw invalid('TokenRequest', name, [{ reason: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `Invalid value: ${spec.expirationSeconds}: may not specify a duration larger than 2^32 seconds` }], 'authentication.k8s.io');
    const sa = await store.get(def, namespace, name);
    const claim: Any = { namespace: namespace!, serviceaccount: { name, uid: sa.metadata.uid! } };
    const ref = spec.boundObjectRef as { kind?: string; apiVersion?: string; name?: string; uid?: string } | undefined;
    const node = user && nodeNameOf(user);
    if (node && (ref?.kind !== 'Pod' || !ref.name)) throw new StatusError(403, 'Forbidden', `serviceaccounts "${name}" is forbidden: node requested token not bound to a pod`, { name, kind: 'serviceaccounts' });
    if (node && !ref?.uid) throw new StatusError(403, 'Forbidden', `serviceaccounts "${name}" is forbidden: node requested token with a pod binding without a uid`, { name, kind: 'serviceaccounts' });
    if (ref) {
      if (ref.kind !== 'Pod' && ref.kind !== 'Secret') throw badRequest(`cannot bind token to object of kind ${JSON.stringify(ref.kind)}: only Pod and Secret`);
      const boundDef = findByPlural('', 'v1', ref.kind === 'Pod' ? 'pods' : 'secrets')!;
      let bound: KubeObject;
      try {
        bound = await store.get(boundDef, namespace, ref.name ?? '');
      } catch {
        throw notFound(boundDef.plural, ref.name ?? '');
      }
      if (ref.uid && ref.uid !== bound.metadata.uid) throw new StatusError(409, 'Conflict', `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`);
      if (ref.kind === 'Pod') {
        const pod = bound as Pod;
        if ((pod.spec as Any).serviceAccountName !== name) throw badRequest(`cannot bind token for serviceaccount "${name}" to pod running with different serviceaccount name.`);
        if (node && pod.spec.nodeName !== node) throw new StatusError(403, 'Forbidden', `serviceaccounts "${name}" is forbidden: node requested token bound to a pod scheduled on a different node`, { name, kind: 'serviceaccounts' });
        claim.pod = { name: pod.metadata.name, uid: pod.metadata.uid };
        if (pod.spec.nodeName) {
          const nodeObj = await store.get(findByPlural('', 'v1', 'nodes')!, undefined, pod.spec.nodeName).catch(() => undefined);
          if (nodeObj) claim.node = { name: nodeObj.metadata.name, uid: nodeObj.metadata.uid };
        }
      } else claim.secret = { name: bound.metadata.name, uid: bound.metadata.uid };
      spec.boundObjectRef = { kind: ref.kind, apiVersion: 'v1', name: bound.metadata.name, uid: bound.metadata.uid };
    }
    const { token, expirationTimestamp } = services.serviceAccounts.issue(claim, spec.audiences, spec.expirationSeconds);
    return {
      code: 201,
      object: {
        kind: 'TokenRequest',
        apiVersion: 'authentication.k8s.io/v1',
        metadata: { name, namespace, creationTimestamp: formatTime() },
        spec,
        status: { token, expirationTimestamp: formatTime(expirationTimestamp) },
      },
    };
  },
};
