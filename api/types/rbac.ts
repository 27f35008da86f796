// rbac.authorization.k8s.io/v1 kinds (k8s.io/api/rbac/v1/types.go), and the user and request attributes authorizers
// judge (k8s.io/apiserver user.Info and authorizer.Attributes).
import type { KubeObject, LabelSelector } from './meta.js';

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface Subject {
  kind: 'User' | 'Group' | 'ServiceAccount';
  apiGroup?: string;
  name: string;
  namespace?: string;
}

export interface RoleRef {
  apiGroup: string;
  kind: 'Role' | 'ClusterRole';
  name: string;
}

export interface Role extends KubeObject {
  rules: PolicyRule[] | null;
}

export interface ClusterRole extends Role {
  aggregationRule?: { clusterRoleSelectors?: LabelSelector[] };
}

export interface RoleBinding extends KubeObject {
  roleRef: RoleRef;
  subjects?: Subject[];
}

export type ClusterRoleBinding = RoleBinding;

/** Who is asking: what authentication established (user.Info). */
export interface UserInfo {
  name: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** What is asked (authorizer.Attributes): a resource request or a non-resource path, with its verb. */
export interface Attributes {
  user: UserInfo;
  verb: string;
  isResourceRequest: boolean;
  /** Non-resource requests: the URL path. */
  path?: string;
  apiGroup?: string;
  apiVersion?: string;
  namespace?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}
