// The Node authorizer (plugin/pkg/auth/authorizer/node/node_authorizer.go): requests from a kubelet
// (user system:node:<name> in group system:nodes) may read Secrets, ConfigMaps, PersistentVolumeClaims and
// PersistentVolumes only when a pod bound to that node uses them, request tokens only for its pods' service accounts,
// touch only its own Lease; everything else is judged by the node's static rules (the system:node role). What a node
// may write to Node and Pod objects is narrowed further by the NodeRestriction admission plugin.
import { bootstrapClusterRoles } from '../rbac/policy.js';
import { ruleAllows } from '../rbac/rules.js';
import type { Attributes, PolicyRule, UserInfo } from '../../../../api/types.js';
import type { NodeGraph, ReferencedKind } from './graph.js';

export const NODES_GROUP = 'system:nodes';
export const NODE_USER_PREFIX = 'system:node:';

/** The node a user is, or undefined when the user is not a node identity. */
export function nodeNameOf(user: UserInfo): string | undefined {
  if (!user.groups.includes(NODES_GROUP) || !user.name.startsWith(NODE_USER_PREFIX)) return undefined;
  const name = user.name.slice(NODE_USER_PREFIX.length);
  return name || undefined;
}

const nodeRules: PolicyRule[] = bootstrapClusterRoles().find((r) => r.metadata.name === 'system:node')!.rules ?? [];

export interface NodeDecision {
  decision: 'Allow' | 'Deny' | 'NoOpinion';
  reason: string;
}

const graphKinds: Record<string, ReferencedKind> = { secrets: 'secrets', configmaps: 'configmaps', persistentvolumeclaims: 'persistentvolumeclaims', persistentvolumes: 'persistentvolumes' };

export function authorizeNode(graph: NodeGraph, attrs: Attributes): NodeDecision {
  const node = nodeNameOf(attrs.user);
  if (!node) return { decision: 'NoOpinion', reason: '' };
  if (!attrs.isResourceRequest) return ruleAllows(attrs, { verbs: ['get'], nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/readyz', '/version', '/version/', '/openapi', '/openapi/*'] }) ? allow : noOpinion;
  const group = attrs.apiGroup ?? '';
  const kind = group === '' && !attrs.subresource ? graphKinds[attrs.resource ?? ''] : undefined;
  if (kind) {
    // Reads of single objects only: get, and for secrets and config maps also a list/watch narrowed to one name.
    const verbs = kind === 'secrets' || kind === 'configmaps' ? ['get', 'list', 'watch'] : ['get'];
    if (!verbs.includes(attrs.verb)) return deny(`can only read ${kind}`);
    if (!attrs.name) return deny(`can only get individual ${kind}`);
    if (!graph.hasPath(node, kind, attrs.namespace ?? '', attrs.name)) return deny(`no relationship found between node '${node}' and this object`);
    return allow;
  }
  if (group === '' && attrs.resource === 'serviceaccounts' && attrs.subresource === 'token') {
    if (attrs.verb !== 'create') return deny('can only create tokens for individual service accounts');
    if (!attrs.name || !graph.hasPath(node, 'serviceaccounts', attrs.namespace ?? '', attrs.name)) return deny(`no relationship found between node '${node}' and this object`);
    return allow;
  }
  if (group === 'coordination.k8s.io' && attrs.resource === 'leases') {
    if (attrs.namespace !== 'kube-node-lease') return deny('can only access node lease with the same name as the requesting node');
    if (attrs.verb === 'create') return allow; // NodeRestriction checks the created name.
    if (attrs.name !== node) return deny('can only access node lease with the same name as the requesting node');
    return ruleAllows(attrs, { verbs: ['get', 'update', 'patch', 'delete'], apiGroups: ['coordination.k8s.io'], resources: ['leases'] }) ? allow : deny('can only get, update, patch or delete its own lease');
  }
  return nodeRules.some((r) => ruleAllows(attrs, r)) ? allow : noOpinion;
}

const allow: NodeDecision = { decision: 'Allow', reason: '' };
const noOpinion: NodeDecision = { decision: 'NoOpinion', reason: '' };
const deny = (why: string): NodeDecision => ({ decision: 'Deny', reason: `node authorizer: ${why}` });
