// Escalation prevention for RBAC objects (kube: pkg/registry/rbac/{role,clusterrole,rolebinding,clusterrolebinding}/
// policybased and pkg/registry/rbac/validation): a user may write a Role or ClusterRole only with rules they hold
// themselves (or with the `escalate` verb on it), and may bind a role only if they hold all of its rules (or have
// the `bind` verb on it). So nobody can grant themselves more than they have.
import { StatusError } from '../../../api/errors.js';
import type { Attributes, ClusterRole, PolicyRule, Role, RoleBinding, UserInfo } from '../../../api/types.js';
import type { Authorizer } from '../authorization/index.js';
import { compactRules, formatRule, quoteList, rulesFor, uncoveredRules, type RBACSource } from '../authorization/rbac/rules.js';
import type { WriteAttributes } from '../registry/store.js';
import type { AdmissionPlugin } from './chain.js';

const GROUP = 'rbac.authorization.k8s.io';

/** Everything: what writing an aggregated ClusterRole needs (kube's fullAuthority). */
const FULL_AUTHORITY: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

function forbiddenRBAC(a: WriteAttributes, message: string): StatusError {
  const name = a.object.metadata.name ?? '';
  return new StatusError(403, 'Forbidden', `${a.def.plural}.${GROUP} ${JSON.stringify(name)} is forbidden: ${message}`, { name, group: GROUP, kind: a.def.plural });
}

/** kube's ConfirmNoEscalation refusal: the rules missing, compacted, one per line in sorted order. */
function refusal(a: WriteAttributes, user: UserInfo, missing: PolicyRule[]): StatusError {
  const lines = [...new Set(compactRules(missing).map(formatRule))].sort();
  return forbiddenRBAC(a, `user ${JSON.stringify(user.name)} (groups=${quoteList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`);
}

export class RBACEscalation implements AdmissionPlugin {
  readonly name = 'RBACEscalation';

  constructor(
    private readonly authorizer: () => Authorizer,
    private readonly policy: () => RBACSource,
  ) {}

  /** Whether the user holds `verb` on the role (escalate / bind), as the policybased storage asks the authorizer. */
  private may(user: UserInfo, verb: string, resource: string, name: string, namespace: string | undefined): boolean {
    const attrs: Attributes = { user, verb, isResourceRequest: true, apiGroup: GROUP, resource, name, namespace };
    return this.authorizer().authorize(attrs).allowed;
  }

  async validate(a: WriteAttributes): Promise<void> {
    if (a.def.group !== GROUP || a.operation === 'DELETE' || !a.user) return;
    const user = a.user;
    const ns = a.object.metadata.namespace;
    if (a.def.plural === 'roles' || a.def.plural === 'clusterroles') {
      const role = a.object as ClusterRole;
      if (this.may(user, 'escalate', a.def.plural, role.metadata.name!, ns)) return;
      const held = rulesFor(this.policy(), user, ns).rules;
      const missing = uncoveredRules(held, role.rules ?? []);
      if (missing.length) throw refusal(a, user, missing);
      // Setting (or dropping) an aggregation rule could gather anything: only holders of everything may.
      if ((role.aggregationRule || (a.oldObject as ClusterRole | undefined)?.aggregationRule) && uncoveredRules(held, FULL_AUTHORITY).length) throw forbiddenRBAC(a, 'must have cluster-admin privileges to use the aggregationRule');
      return;
    }
    const binding = a.object as RoleBinding;
    const ref = binding.roleRef;
    const refResource = ref.kind === 'ClusterRole' ? 'clusterroles' : 'roles';
    if (this.may(user, 'bind', refResource, ref.name, ns)) return;
    const policy = this.policy();
    const role: Role | undefined = ref.kind === 'ClusterRole' ? policy.clusterRole(ref.name) : policy.role(ns ?? '', ref.name);
    if (!role) throw new StatusError(404, 'NotFound', `${refResource}.${GROUP} "${ref.name}" not found`, { name: ref.name, group: GROUP, kind: refResource });
    const missing = uncoveredRules(rulesFor(policy, user, ns).rules, role.rules ?? []);
    if (missing.length) throw refusal(a, user, missing);
  }
}
