// RBAC evaluation (pkg/apis/rbac/v1/evaluation_helpers.go, plugin/pkg/auth/authorizer/rbac/rbac.go and
// pkg/registry/rbac/validation): whether a rule allows a request, whether a binding's subject is the user, the rules
// a user holds in a namespace, and escalation checks (a user may only grant what they hold).
import type { Attributes, ClusterRole, PolicyRule, Role, RoleBinding, Subject, UserInfo } from '../../../../api/types.js';

const has = (list: string[] | undefined, v: string) => !!list && (list.includes('*') || list.includes(v));

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return has(rule.verbs, verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return has(rule.apiGroups, group);
}

/** "pods", "pods/log", "*" and "*\/scale" as kube matches them. */
export function resourceMatches(rule: PolicyRule, resource: string, subresource: string | undefined): boolean {
  const combined = subresource ? `${resource}/${subresource}` : resource;
  for (const r of rule.resources ?? []) {
    if (r === '*' || r === combined) return true;
    if (subresource && r === `*/${subresource}`) return true;
  }
  return false;
}

export function resourceNameMatches(rule: PolicyRule, name: string | undefined): boolean {
  if (!rule.resourceNames?.length) return true;
  return name !== undefined && rule.resourceNames.includes(name);
}

/** "/healthz", "*" and prefix patterns ending in "*" ("/apis/*"). */
export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs ?? []) {
    if (u === '*' || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.slice(0, -1))) return true;
  }
  return false;
}

export function ruleAllows(attrs: Attributes, rule: PolicyRule): boolean {
  if (attrs.isResourceRequest) {
    return verbMatches(rule, attrs.verb) && apiGroupMatches(rule, attrs.apiGroup ?? '') && resourceMatches(rule, attrs.resource ?? '', attrs.subresource) && resourceNameMatches(rule, attrs.name);
  }
  return verbMatches(rule, attrs.verb) && nonResourceURLMatches(rule, attrs.path ?? '');
}

export const serviceAccountUser = (namespace: string, name: string) => `system:serviceaccount:${namespace}:${name}`;

/** Whether a binding subject names this user (a ServiceAccount subject without namespace takes the binding's). */
export function subjectMatches(subject: Subject, user: UserInfo, bindingNamespace: string | undefined): boolean {
  switch (subject.kind) {
    case 'User':
      return subject.name === user.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const ns = subject.namespace || bindingNamespace;
      return !!ns && user.name === serviceAccountUser(ns, subject.name);
    }
    default:
      return false;
  }
}

/** Where the authorizer finds roles and bindings (an index kept from watches). */
export interface RBACSource {
  clusterRole(name: string): ClusterRole | undefined;
  role(namespace: string, name: string): Role | undefined;
  clusterRoleBindings(): Iterable<RoleBinding>;
  roleBindings(namespace: string): Iterable<RoleBinding>;
}

/** kube's words for the binding that granted a request (the RBAC authorizer's allow reason). */
function describeBinding(b: RoleBinding, subject: Subject, namespace: string | undefined): string {
  const who = subject.kind === 'ServiceAccount' ? `${subject.kind} ${JSON.stringify(`${subject.name}/${subject.namespace || namespace}`)}` : `${subject.kind} ${JSON.stringify(subject.name)}`;
  const binding = namespace ? `RoleBinding ${JSON.stringify(`${b.metadata.name}/${namespace}`)}` : `ClusterRoleBinding ${JSON.stringify(b.metadata.name)}`;
  return `${binding} of ${b.roleRef.kind} ${JSON.stringify(b.roleRef.name)} to ${who}`;
}

/**
 * Calls visit with every rule the user holds where the request lands: cluster-wide bindings first, then (for a
 * namespace) the namespace's bindings. visit returns true to stop; `source` describes the binding that holds the rule.
 * Missing roles are reported, as kube's visitor does.
 */
export function visitRulesFor(src: RBACSource, user: UserInfo, namespace: string | undefined, visit: (rule: PolicyRule, source: () => string) => boolean, onError: (message: string) => void = () => {}): void {
  for (const b of src.clusterRoleBindings()) {
    const subject = (b.subjects ?? []).find((s) => subjectMatches(s, user, undefined));
    if (!subject) continue;
    const role = b.roleRef.kind === 'ClusterRole' ? src.clusterRole(b.roleRef.name) : undefined;
    if (!role) {
      onError(`clusterrole.rbac.authorization.k8s.io "${b.roleRef.name}" not found`);
      continue;
    }
    const source = () => describeBinding(b, subject, undefined);
    for (const r of role.rules ?? []) if (visit(r, source)) return;
  }
  if (!namespace) return;
  for (const b of src.roleBindings(namespace)) {
    const subject = (b.subjects ?? []).find((s) => subjectMatches(s, user, namespace));
    if (!subject) continue;
    const role = b.roleRef.kind === 'ClusterRole' ? src.clusterRole(b.roleRef.name) : src.role(namespace, b.roleRef.name);
    if (!role) {
      onError(`${b.roleRef.kind === 'ClusterRole' ? 'clusterrole' : 'role'}.rbac.authorization.k8s.io "${b.roleRef.name}" not found`);
      continue;
    }
    const source = () => describeBinding(b, subject, namespace);
    for (const r of role.rules ?? []) if (visit(r, source)) return;
  }
}

/** Every rule the user holds in the namespace (SelfSubjectRulesReview, escalation checks). */
export function rulesFor(src: RBACSource, user: UserInfo, namespace: string | undefined): { rules: PolicyRule[]; errors: string[] } {
  const rules: PolicyRule[] = [];
  const errors: string[] = [];
  visitRulesFor(src, user, namespace, (r) => (rules.push(r), false), (e) => errors.push(e));
  return { rules, errors };
}

export type Decision = 'Allow' | 'NoOpinion';

/**
 * RBAC's answer: Allow naming the binding that allows (`RBAC: allowed by RoleBinding "b/ns" of Role "r" to User "u"`),
 * else NoOpinion with the reason (role-lookup errors, if any).
 */
export function authorize(src: RBACSource, attrs: Attributes): { decision: Decision; reason: string } {
  let allowedBy: (() => string) | undefined;
  const errors: string[] = [];
  visitRulesFor(src, attrs.user, attrs.isResourceRequest ? attrs.namespace : undefined, (r, source) => !!(ruleAllows(attrs, r) && (allowedBy = source)), (e) => errors.push(e));
  if (allowedBy) return { decision: 'Allow', reason: `RBAC: allowed by ${allowedBy()}` };
  return { decision: 'NoOpinion', reason: errors.length ? `RBAC: ${errors.join(', ')}` : '' };
}

// ---- escalation prevention ----

/** One verb on one group/resource/name, or one verb on one URL: what `covers` compares. */
function atomize(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const verb of rule.verbs) {
    for (const url of rule.nonResourceURLs ?? []) out.push({ verbs: [verb], nonResourceURLs: [url] });
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        if (rule.resourceNames?.length) for (const name of rule.resourceNames) out.push({ verbs: [verb], apiGroups: [group], resources: [resource], resourceNames: [name] });
        else out.push({ verbs: [verb], apiGroups: [group], resources: [resource] });
      }
    }
  }
  return out;
}

/** Whether the owner rule grants all of one atomic rule (rbac validation's ruleCovers). */
function ruleCovers(owner: PolicyRule, wanted: PolicyRule): boolean {
  if (!has(owner.verbs, wanted.verbs[0])) return false;
  if (wanted.nonResourceURLs?.length) return nonResourceURLMatches(owner, wanted.nonResourceURLs[0]);
  const group = wanted.apiGroups![0];
  const resource = wanted.resources![0];
  if (!has(owner.apiGroups, group)) return false;
  const slash = resource.indexOf('/');
  const covered = (owner.resources ?? []).some((r) => {
    if (r === '*' || r === resource) return true;
    // "*/scale" covers "deployments/scale" (and "*/scale"); it does not cover "deployments".
    return slash >= 0 && r.startsWith('*/') && r.slice(1) === resource.slice(slash);
  });
  if (!covered) return false;
  if (!owner.resourceNames?.length) return true;
  return !!wanted.resourceNames?.length && owner.resourceNames.includes(wanted.resourceNames[0]);
}

/** The parts of `wanted` that none of `owner` covers (empty: no escalation). */
export function uncoveredRules(owner: PolicyRule[], wanted: PolicyRule[]): PolicyRule[] {
  const missing: PolicyRule[] = [];
  for (const w of wanted) for (const atom of atomize(w)) if (!owner.some((o) => ruleCovers(o, atom))) missing.push(atom);
  return missing;
}

/** Atomic rules merged back per group/resource/name with their verbs together (rbac validation's CompactRules). */
export function compactRules(rules: PolicyRule[]): PolicyRule[] {
  const byTarget = new Map<string, PolicyRule>();
  for (const r of rules) {
    const key = JSON.stringify([r.apiGroups, r.resources, r.resourceNames, r.nonResourceURLs]);
    const have = byTarget.get(key);
    if (have) {
      for (const v of r.verbs) if (!have.verbs.includes(v)) have.verbs.push(v);
    } else byTarget.set(key, { ...r, verbs: [...r.verbs] });
  }
  return [...byTarget.values()];
}

/** A list of strings as Go's %q prints it: ["a" "b"]. */
export const quoteList = (xs: string[]) => `[${xs.map((x) => JSON.stringify(x)).join(' ')}]`;

/** kube's wording of rules in escalation errors (rbac helpers' CompactString): {APIGroups:["apps"], Resources:["deployments"], Verbs:["get"]}. */
export function formatRule(r: PolicyRule): string {
  const parts: string[] = [];
  if (r.apiGroups?.length) parts.push(`APIGroups:${quoteList(r.apiGroups)}`);
  if (r.resources?.length) parts.push(`Resources:${quoteList(r.resources)}`);
  if (r.nonResourceURLs?.length) parts.push(`NonResourceURLs:${quoteList(r.nonResourceURLs)}`);
  if (r.resourceNames?.length) parts.push(`ResourceNames:${quoteList(r.resourceNames)}`);
  parts.push(`Verbs:${quoteList(r.verbs)}`);
  return `{${parts.join(', ')}}`;
}

export type { ClusterRole, Role, RoleBinding };
