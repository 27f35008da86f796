// The shape the kube-system add-on Deployments share (as metrics-server's and the Dashboard's upstream manifests do):
// the pod labelled and selected by the add-on's labels, its own service account, a system priority class, Linux nodes
// only, and a container of the kubets image that runs `kubets <command>` as a non-root user on a read-only root.
import type { Container, Deployment } from '../api/types.js';

export interface AddonImageOptions {
  image: string;
  /** The program the image runs (default `kubets`). */
  command?: string[];
  imagePullPolicy?: 'IfNotPresent' | 'Never' | 'Always';
}

export function addonDeployment(o: { name: string; namespace: string; labels: Record<string, string>; containers: Container[]; strategy?: Deployment['spec']['strategy'] }): Deployment {
  const { name, namespace, labels } = o;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      ...(o.strategy ? { strategy: o.strategy } : {}),
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: name,
          priorityClassName: 'system-cluster-critical',
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          containers: o.containers,
        },
      },
    },
  } as unknown as Deployment;
}

/** A container running `kubets <subcommand>` from the kubets image, unprivileged, with nothing written to its root. */
export function kubetsContainer(image: AddonImageOptions, subcommand: string, user: number, c: Omit<Container, 'image' | 'command' | 'imagePullPolicy' | 'securityContext'>): Container {
  return {
    image: image.image,
    imagePullPolicy: image.imagePullPolicy ?? 'IfNotPresent',
    command: [...(image.command ?? ['kubets']), subcommand],
    ...c,
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, runAsUser: user, capabilities: { drop: ['ALL'] } },
  } as Container;
}
