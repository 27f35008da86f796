// The Dashboard's deployment (kube: kubernetes/dashboard's recommended.yaml, trimmed to what one process needs) as
// data: ServiceAccount dashboard with no rights (every request acts as the logged-in user's token, so RBAC applies),
// the Deployment running `kubets dashboard` from the kubets image with HTTPS probes, and the Service on 443 → 8443,
// NodePort 30443.
import type { KubeObject, Service } from '../../api/types.js';
import { addonDeployment, kubetsContainer, type AddonImageOptions } from '../deployment.js';
import { dashboardDefaults } from './config.js';

export type DashboardManifestOptions = AddonImageOptions;

export const dashboardNames = { namespace: 'kube-system', name: 'dashboard', nodePort: 30443 } as const;

const labels = { 'k8s-app': 'dashboard' };

export function dashboardManifests(opts: DashboardManifestOptions): KubeObject[] {
  const { namespace, name, nodePort } = dashboardNames;
  const serviceAccount: KubeObject = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace, labels } };
  const service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels },
    spec: { type: 'NodePort', selector: labels, ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 'https', nodePort }] },
  } as Service;
  const probe = (o: Record<string, number>) => ({ httpGet: { path: '/healthz', port: 'https', scheme: 'HTTPS' }, ...o });
  const deployment = addonDeployment({
    name,
    namespace,
    labels,
    containers: [
      kubetsContainer(opts, 'dashboard', 1001, {
        name: 'dashboard',
        args: [`--secure-port=${dashboardDefaults.securePort}`],
        ports: [{ name: 'https', containerPort: dashboardDefaults.securePort, protocol: 'TCP' }],
        readinessProbe: probe({ periodSeconds: 10, failureThreshold: 3 }),
        livenessProbe: probe({ initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 3 }),
        resources: { requests: { cpu: '50m', memory: '100Mi' } },
      }),
    ],
  });
  return [serviceAccount, service, deployment];
}
