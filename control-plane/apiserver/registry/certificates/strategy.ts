// CertificateSigningRequests in the store (kube: pkg/registry/certificates/certificates/strategy.go): the server
// records who asks (spec.username, uid, groups, extra) and starts with an empty status; the spec never changes after
// create; the main resource changes only metadata, /status the certificate and conditions other than Approved and
// Denied, /approval only the conditions. Conditions get their timestamps from the server when they come without.
import type { CertificateSigningRequest, KubeObject } from '../../../../api/types.js';
import { formatTime } from '../../../../api/time.js';
import { strategy, type Strategy } from '../strategy.js';
import { pathSegmentNameErrors } from '../validation.js';
import * as validation from './validation.js';

type Any = any;
type Condition = NonNullable<NonNullable<CertificateSigningRequest['status']>['conditions']>[number];

const conditionsOf = (o: Any): Condition[] | undefined => (Array.isArray(o?.status?.conditions) ? o.status.conditions : undefined);

/** Fills a condition's lastUpdateTime, and its lastTransitionTime from the old one of the same type and status (populateConditionTimestamps). */
function stampConditions(conditions: Condition[] | undefined, old: KubeObject): void {
  const now = formatTime();
  for (const c of conditions ?? []) {
    if (!c || typeof c !== 'object') continue;
    if (!c.lastUpdateTime) c.lastUpdateTime = now;
    if (!c.lastTransitionTime) {
      const same = (conditionsOf(old) ?? []).find((o) => o?.type === c.type && o?.status === c.status && o.lastTransitionTime);
      c.lastTransitionTime = same?.lastTransitionTime ?? now;
    }
  }
}

/** The stored status, or none at all. */
function withStatus(obj: Any, status: unknown): void {
  if (status === undefined) delete obj.status;
  else obj.status = structuredClone(status);
}

const base = strategy({
  tracksGeneration: false,
  validate: validation.create,
  validateName: (name) => pathSegmentNameErrors('metadata.name', name),
  fields: (o) => ({ 'spec.signerName': (o as CertificateSigningRequest).spec?.signerName ?? '' }),
});

export const csrStrategy: Strategy = {
  ...base,
  prepareForCreate(obj, requester) {
    const csr = obj as Any;
    const spec = (csr.spec && typeof csr.spec === 'object' ? csr.spec : (csr.spec = {})) as Any;
    for (const f of ['username', 'uid', 'groups', 'extra']) delete spec[f];
    const user = requester?.user;
    if (user) {
      spec.username = user.name;
      if (user.uid) spec.uid = user.uid;
      if (user.groups?.length) spec.groups = [...user.groups];
      if (user.extra && Object.keys(user.extra).length) spec.extra = structuredClone(user.extra);
    }
    // Nobody creates a request that is already approved or issued.
    csr.status = {};
  },
  prepareForUpdate(obj, old) {
    const next = structuredClone(obj) as Any;
    next.metadata ??= {};
    next.spec = structuredClone((old as Any).spec);
    withStatus(next, (old as Any).status);
    return next;
  },
  validateUpdate: (obj, old) => validation.update(obj, old),
};

/** /status: the certificate and the signer's conditions; Approved and Denied stay as they were. */
export const csrStatusStrategy: Strategy = {
  ...csrStrategy,
  prepareForUpdate(obj, old) {
    const next = structuredClone(obj) as Any;
    next.metadata ??= {};
    next.spec = structuredClone((old as Any).spec);
    const conditions = conditionsOf(next);
    // The same number of Approved (Denied) conditions as before: they are put back as they were. A different number
    // is an attempt to add or remove one, which validation refuses.
    for (const type of ['Approved', 'Denied']) {
      const was = (conditionsOf(old) ?? []).filter((c) => c?.type === type);
      const at = (conditions ?? []).flatMap((c, i) => (c?.type === type ? [i] : []));
      if (conditions && at.length === was.length) at.forEach((i, k) => (conditions[i] = structuredClone(was[k])));
    }
    stampConditions(conditions, old);
    return next;
  },
  validateUpdate: (obj, old) => validation.update(obj, old, { allowSettingCertificate: true }),
};

/** /approval: only the conditions change (kubectl certificate approve|deny, the approving controller). */
export const csrApprovalStrategy: Strategy = {
  ...csrStrategy,
  prepareForUpdate(obj, old) {
    const conditions = structuredClone(conditionsOf(obj));
    stampConditions(conditions, old);
    const next = structuredClone(obj) as Any;
    next.metadata ??= {};
    next.spec = structuredClone((old as Any).spec);
    const status = structuredClone((old as Any).status ?? {});
    if (conditions) status.conditions = conditions;
    else delete status.conditions;
    next.status = status;
    return next;
  },
  validateUpdate: (obj, old) => validation.update(obj, old, { allowSettingApprovalConditions: true }),
};
