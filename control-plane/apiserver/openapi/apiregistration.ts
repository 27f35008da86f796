// apiregistration.k8s.io/v1 APIService: a group-version the aggregator serves itself (Local) or proxies to a Service.
import { bool, bytes, int32, list, obj, pkg, ref, str, typeMeta, type Definition } from './dsl.js';
import { meta, time } from './meta.js';

export const apireg = pkg('io.k8s.kube-aggregator.pkg.apis.apiregistration.v1');

export const apiregistrationDefinitions: Definition[] = [
  obj(apireg('APIService'), 'A server for one group-version: the API server itself (no service) or a Service it proxies the group-version to.', {
    ...typeMeta(meta('ObjectMeta')),
    spec: ref(apireg('APIServiceSpec'), 'Where the group-version is served and how it ranks in discovery.', { default: {} }),
    status: ref(apireg('APIServiceStatus'), 'Whether the group-version is available.', { default: {} }),
  }, { gvk: [{ group: 'apiregistration.k8s.io', version: 'v1', kind: 'APIService' }] }),
  obj(apireg('APIServiceSpec'), 'Where an APIService is served. An empty service means the API server serves it.', {
    caBundle: bytes('PEM CA bundle that verifies the serving certificate of the API server behind the Service.'),
    group: str('The API group name this server hosts.'),
    groupPriorityMinimum: int32('Minimum priority of the group: higher sorts first in discovery.'),
    insecureSkipTLSVerify: bool('Skip verifying the serving certificate of the server behind the Service. Strongly discouraged.'),
    service: ref(apireg('ServiceReference'), 'The Service the group-version is proxied to; empty for the API server\'s own groups.'),
    version: str('The API version this server hosts, e.g. v1.'),
    versionPriority: int32('Order of this version within its group: higher sorts first.'),
  }, { required: ['groupPriorityMinimum', 'versionPriority'] }),
  obj(apireg('ServiceReference'), 'A reference to a Service and its port.', {
    name: str('Name of the Service.'),
    namespace: str('Namespace of the Service.'),
    port: int32('Port of the Service; 443 when unset.'),
  }),
  obj(apireg('APIServiceStatus'), 'The state of an APIService.', {
    conditions: list(apireg('APIServiceCondition'), 'Current service state of the APIService.', { mapKeys: ['type'], listType: 'map', mergeKey: 'type', strategy: 'merge' }),
  }),
  obj(apireg('APIServiceCondition'), 'One condition of an APIService: Available.', {
    lastTransitionTime: time('When the condition last changed status.'),
    message: str('Human-readable details of the last transition.'),
    reason: str('CamelCase reason for the last transition.'),
    status: str('True, False or Unknown.'),
    type: str('Type of the condition: Available.'),
  }, { required: ['type', 'status'] }),
];
