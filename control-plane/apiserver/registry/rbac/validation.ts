// RBAC validation with kube-apiserver's wording (pkg/apis/rbac/validation): rules need verbs, resource rules need API
// groups and resources, non-resource URLs only in ClusterRoles; bindings point at a Role or ClusterRole of this group
// and never change that roleRef; subjects are Users, Groups or ServiceAccounts, each with its own rules.
import type { KubeObject, StatusCause } from '../../../../api/types.js';
import { goStrings, invalidGo, invalidValue, labelMapErrors, labelSelectorErrors, notSupported, pathSegmentNameErrors, required, subdomainMessages } from '../validation.js';

type Any = any;

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** One PolicyRule (ValidatePolicyRule); namespaced rules (a Role's) may not name non-resource URLs. */
export function policyRuleErrors(rule: Any, namespaced: boolean, path: string): StatusCause[] {
  const out: StatusCause[] = [];
  const r = rule && typeof rule === 'object' ? rule : {};
  if (!list(r.verbs).length) out.push(required(`${path}.verbs`, 'verbs must contain at least one value'));
  const urls = list(r.nonResourceURLs) as string[];
  if (urls.length) {
    if (namespaced) out.push(invalidGo(`${path}.nonResourceURLs`, goStrings(urls), 'namespaced rules cannot apply to non-resource URLs'));
    if (list(r.apiGroups).length || list(r.resources).length || list(r.resourceNames).length)
      out.push(invalidGo(`${path}.nonResourceURLs`, goStrings(urls), 'rules cannot apply to both regular resources and non-resource URLs'));
    return out;
  }
  if (!list(r.apiGroups).length) out.push(required(`${path}.apiGroups`, 'resource rules must supply at least one api group'));
  if (!list(r.resources).length) out.push(required(`${path}.resources`, 'resource rules must supply at least one resource'));
  return out;
}

const rulesErrors = (obj: Any, namespaced: boolean) => list(obj.rules).flatMap((rule, i) => policyRuleErrors(rule, namespaced, `rules[${i}]`));

export function role(obj: KubeObject): StatusCause[] {
  return [...labelMapErrors('metadata.labels', obj.metadata.labels), ...rulesErrors(obj, true)];
}

export function clusterRole(obj: KubeObject): StatusCause[] {
  const r = obj as Any;
  const out = [...labelMapErrors('metadata.labels', obj.metadata.labels), ...rulesErrors(r, false)];
  const agg = r.aggregationRule;
  if (agg !== undefined && agg !== null) {
    const selectors = list(agg.clusterRoleSelectors);
    if (!selectors.length) out.push(required('aggregationRule.clusterRoleSelectors', 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
    selectors.forEach((s, i) => out.push(...labelSelectorErrors(`aggregationRule.clusterRoleSelectors[${i}]`, s)));
  }
  return out;
}

/** One subject of a binding (ValidateRoleBindingSubject); a ClusterRoleBinding's service accounts need a namespace. */
export function subjectErrors(subject: Any, namespaced: boolean, path: string): StatusCause[] {
  const s = subject && typeof subject === 'object' ? subject : {};
  const out: StatusCause[] = [];
  const name = typeof s.name === 'string' ? s.name : '';
  const apiGroup = s.apiGroup ?? '';
  if (!name) out.push(required(`${path}.name`));
  switch (s.kind) {
    case 'ServiceAccount':
      if (name) for (const m of subdomainMessages(name)) out.push(invalidValue(`${path}.name`, name, m));
      if (apiGroup) out.push(notSupported(`${path}.apiGroup`, apiGroup, ['']));
      if (!namespaced && !s.namespace) out.push(required(`${path}.namespace`));
      break;
    case 'User':
    case 'Group':
      if (apiGroup !== RBAC_GROUP) out.push(notSupported(`${path}.apiGroup`, apiGroup, [RBAC_GROUP]));
      break;
    default:
      out.push(notSupported(`${path}.kind`, s.kind ?? '', ['ServiceAccount', 'User', 'Group']));
  }
  return out;
}

/** The roleRef as Go prints it in "cannot change roleRef" (the internal rbac.RoleRef, `%#v`). */
const goRoleRef = (r: Any) => `rbac.RoleRef{APIGroup:${JSON.stringify(r?.apiGroup ?? '')}, Kind:${JSON.stringify(r?.kind ?? '')}, Name:${JSON.stringify(r?.name ?? '')}}`;

function bindingErrors(obj: KubeObject, old: KubeObject | undefined, namespaced: boolean): StatusCause[] {
  const b = obj as Any;
  const ref = b.roleRef && typeof b.roleRef === 'object' ? b.roleRef : {};
  const out = labelMapErrors('metadata.labels', obj.metadata.labels);
  if ((ref.apiGroup ?? '') !== RBAC_GROUP) out.push(notSupported('roleRef.apiGroup', ref.apiGroup ?? '', [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(ref.kind)) out.push(notSupported('roleRef.kind', ref.kind ?? '', kinds));
  if (!ref.name) out.push(required('roleRef.name'));
  else out.push(...pathSegmentNameErrors('roleRef.name', ref.name));
  list(b.subjects).forEach((s, i) => out.push(...subjectErrors(s, namespaced, `subjects[${i}]`)));
  if (old) {
    const was = (old as Any).roleRef ?? {};
    if ((was.apiGroup ?? '') !== (ref.apiGroup ?? '') || (was.kind ?? '') !== (ref.kind ?? '') || (was.name ?? '') !== (ref.name ?? ''))
      out.push(invalidGo('roleRef', goRoleRef(ref), 'cannot change roleRef'));
  }
  return out;
}

export const roleBinding = (obj: KubeObject, old?: KubeObject): StatusCause[] => bindingErrors(obj, old, true);
export const clusterRoleBinding = (obj: KubeObject, old?: KubeObject): StatusCause[] => bindingErrors(obj, old, false);
