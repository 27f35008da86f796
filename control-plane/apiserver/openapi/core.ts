// core/v1 kinds other than Pod: Service, Endpoints, Event, ConfigMap, Secret, ServiceAccount, Namespace, Node,
// ResourceQuota, LimitRange, and the object references they share.
import { bool, bytes, int32, int64, list, map, obj, ref, str, strings, strMap, typeMeta, type Definition } from './dsl.js';
import { core } from './core-pod.js';
import { intOrString, meta, microTime, quantity, time } from './meta.js';

const gvk = (kind: string) => [{ group: '', version: 'v1', kind }];
const objectMeta = meta('ObjectMeta');

export const coreDefinitions: Definition[] = [
  obj(core('ObjectReference'), 'A reference to another object, by kind, namespace and name (and optionally a field within it).', {
    apiVersion: str('API version of the referent.'),
    fieldPath: str('A part of the referent, e.g. "spec.containers{name}" for one container of a pod.'),
    kind: str('Kind of the referent.'),
    name: str('Name of the referent.'),
    namespace: str('Namespace of the referent.'),
    resourceVersion: str('The resourceVersion the reference was made at, if it matters.'),
    uid: str('UID of the referent.'),
  }, { mapType: 'atomic' }),

  // ---- Service ----
  obj(core('Service'), 'A named abstraction over a set of pods: a stable virtual IP and DNS name whose traffic kube-proxy spreads across the ready endpoints that the selector picks.', {
    ...typeMeta(objectMeta),
    spec: ref(core('ServiceSpec'), 'How the service is exposed and which pods back it.', { default: {} }),
    status: ref(core('ServiceStatus'), 'Most recently observed state of the service, e.g. its load balancer.', { default: {} }),
  }, { gvk: gvk('Service') }),
  obj(core('ServiceSpec'), 'The desired shape of a service.', {
    allocateLoadBalancerNodePorts: bool('For type LoadBalancer: whether node ports are allocated. Defaults to true.'),
    clusterIP: str('Virtual IP address of the service, allocated from the service CIDR unless given. "None" makes a headless service. Cannot be changed except to switch to ExternalName.'),
    clusterIPs: strings('The service\'s virtual IPs, one per family; the first equals clusterIP.', { listType: 'atomic' }),
    externalIPs: strings('Extra IP addresses on which the nodes accept traffic for this service. Not managed by Kubernetes.', { listType: 'atomic' }),
    externalName: str('For type ExternalName: the DNS name the service\'s name becomes a CNAME for.'),
    externalTrafficPolicy: str('How traffic from outside the cluster (node ports, load balancers, external IPs) is routed: Cluster (any ready endpoint) or Local (only endpoints on the receiving node, keeping the client source IP).', { enum: ['Cluster', 'Local'] }),
    healthCheckNodePort: int32('For LoadBalancer with externalTrafficPolicy Local: node port serving the health check load balancers use.'),
    internalTrafficPolicy: str('How traffic from inside the cluster is routed: Cluster (default) or Local (only endpoints on the same node).', { enum: ['Cluster', 'Local'] }),
    ipFamilies: strings('IP families of the service (IPv4, IPv6), in the order of clusterIPs.', { listType: 'atomic' }),
    ipFamilyPolicy: str('SingleStack (default), PreferDualStack or RequireDualStack.', { enum: ['PreferDualStack', 'RequireDualStack', 'SingleStack'] }),
    loadBalancerClass: str('The load balancer implementation for type LoadBalancer; unset means the cloud provider\'s default.'),
    loadBalancerIP: str('Deprecated: requested load balancer address, where supported.'),
    loadBalancerSourceRanges: strings('Client CIDRs a cloud load balancer accepts, where supported.', { listType: 'atomic' }),
    ports: list(core('ServicePort'), 'Ports the service exposes.', { mapKeys: ['port', 'protocol'], listType: 'map', mergeKey: 'port', strategy: 'merge' }),
    publishNotReadyAddresses: bool('Publish endpoints for pods whether or not they are ready (used by StatefulSet peers for discovery).'),
    selector: strMap('Labels of the pods that back the service. Unset means the endpoints are managed by someone else. Ignored for ExternalName.'),
    sessionAffinity: str('ClientIP (keep a client on one endpoint) or None (default).', { enum: ['ClientIP', 'None'] }),
    sessionAffinityConfig: ref(core('SessionAffinityConfig'), 'Settings of session affinity.'),
    trafficDistribution: str('Preference for routing traffic to topologically close endpoints, e.g. PreferClose.'),
    type: str('How the service is exposed: ClusterIP (default, a cluster-internal virtual IP), NodePort (also a port on every node), LoadBalancer (also an external load balancer) or ExternalName (a DNS CNAME).', { enum: ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'] }),
  }),
  obj(core('ServicePort'), 'One port of a service.', {
    appProtocol: str('Application protocol of the port, e.g. http, kubernetes.io/h2c; a hint for implementations.'),
    name: str('Name of the port, a DNS label; required when the service has several ports. Becomes the name of the matching EndpointSlice port.'),
    nodePort: int32('Port on every node for NodePort and LoadBalancer services; allocated from the node port range unless given.'),
    port: int32('Port the service exposes on its virtual IP.'),
    protocol: str('TCP (default), UDP or SCTP.', { enum: ['SCTP', 'TCP', 'UDP'], default: 'TCP' }),
    targetPort: ref(intOrString, 'Number or name of the port on the backing pods. Defaults to port. A name is looked up in each pod\'s container ports.'),
  }, { required: ['port'] }),
  obj(core('SessionAffinityConfig'), 'Session affinity settings.', {
    clientIP: ref(core('ClientIPConfig'), 'Settings of ClientIP affinity.'),
  }),
  obj(core('ClientIPConfig'), 'ClientIP affinity settings.', {
    timeoutSeconds: int32('How long a client stays on its endpoint after its last packet, 1–86400. Defaults to 10800 (three hours).'),
  }),
  obj(core('ServiceStatus'), 'The observed state of a service.', {
    conditions: list(meta('Condition'), 'Current conditions of the service.', { mapKeys: ['type'], listType: 'map', mergeKey: 'type', strategy: 'merge' }),
    loadBalancer: ref(core('LoadBalancerStatus'), 'The load balancer, if any.', { default: {} }),
  }),
  obj(core('LoadBalancerStatus'), 'The state of a load balancer.', {
    ingress: list(core('LoadBalancerIngress'), 'Ingress points of the load balancer.', { listType: 'atomic' }),
  }),
  obj(core('LoadBalancerIngress'), 'One ingress point of a load balancer.', {
    hostname: str('DNS name of the ingress point.'),
    ip: str('IP address of the ingress point.'),
    ipMode: str('VIP (traffic arrives addressed to this IP) or Proxy (traffic arrives addressed to the node).'),
    ports: list(core('PortStatus'), 'Status of each service port on this ingress point.', { listType: 'atomic' }),
  }),
  obj(core('PortStatus'), 'The state of one load balancer port.', {
    error: str('Why the port is in error, as a CamelCase reason.'),
    port: int32('Port number.'),
    protocol: str('TCP, UDP or SCTP.', { enum: ['SCTP', 'TCP', 'UDP'] }),
  }, { required: ['port', 'protocol'] }),

  // ---- Endpoints ----
  obj(core('Endpoints'), 'The addresses that implement a service, grouped into subsets of addresses × ports. Superseded by EndpointSlices but still maintained.', {
    ...typeMeta(objectMeta),
    subsets: list(core('EndpointSubset'), 'Groups of addresses that share the same ports. The union of all subsets is the full set of endpoints.', { listType: 'atomic' }),
  }, { gvk: gvk('Endpoints') }),
  obj(core('EndpointSubset'), 'A set of addresses, each reachable on each of a set of ports.', {
    addresses: list(core('EndpointAddress'), 'Addresses ready to receive traffic.', { listType: 'atomic' }),
    notReadyAddresses: list(core('EndpointAddress'), 'Addresses not (yet) ready: starting, or failing readiness.', { listType: 'atomic' }),
    ports: list(core('EndpointPort'), 'Ports available on every address.', { listType: 'atomic' }),
  }),
  obj(core('EndpointAddress'), 'One endpoint address.', {
    hostname: str('Hostname of the endpoint.'),
    ip: str('IP address of the endpoint.'),
    nodeName: str('The node hosting the endpoint.'),
    targetRef: ref(core('ObjectReference'), 'The object (usually a pod) behind the endpoint.'),
  }, { required: ['ip'], mapType: 'atomic' }),
  obj(core('EndpointPort'), 'One port of an endpoint subset.', {
    appProtocol: str('Application protocol of the port.'),
    name: str('Name of the port, matching the service port\'s name.'),
    port: int32('Port number.'),
    protocol: str('TCP (default), UDP or SCTP.', { enum: ['SCTP', 'TCP', 'UDP'] }),
  }, { required: ['port'], mapType: 'atomic' }),

  // ---- Event ----
  obj(core('Event'), 'A report of something that happened to an object, e.g. a pod scheduled or an image pulled. Events are kept for a limited time.', {
    action: str('What was done, or failed to be done, to the regarding object.'),
    apiVersion: str('The versioned schema of this object.'),
    count: int32('How many times this event has occurred.'),
    eventTime: microTime('When the event first occurred, with microsecond precision.'),
    firstTimestamp: time('When the event was first recorded.'),
    involvedObject: ref(core('ObjectReference'), 'The object the event is about.', { default: {} }),
    kind: str('Always "Event".'),
    lastTimestamp: time('When the most recent occurrence was recorded.'),
    message: str('Human-readable description of what happened.'),
    metadata: ref(objectMeta, 'Standard object metadata.', { default: {} }),
    reason: str('Short machine-readable reason, in CamelCase, e.g. Scheduled, Pulled, FailedScheduling.'),
    related: ref(core('ObjectReference'), 'A second object involved, if any.'),
    reportingComponent: str('Name of the controller that emitted the event, e.g. kubernetes.io/kubelet.'),
    reportingInstance: str('Which instance of that controller emitted it, e.g. the kubelet\'s node name.'),
    series: ref(core('EventSeries'), 'Data about a series of repeated occurrences.'),
    source: ref(core('EventSource'), 'The component that reported the event.', { default: {} }),
    type: str('Normal or Warning.'),
  }, { required: ['metadata', 'involvedObject'], gvk: gvk('Event') }),
  obj(core('EventSeries'), 'A series of repeated occurrences of an event.', {
    count: int32('Occurrences in the series so far.'),
    lastObservedTime: microTime('When the last occurrence was observed.'),
  }),
  obj(core('EventSource'), 'The component that reported an event.', {
    component: str('Component name, e.g. kubelet or default-scheduler.'),
    host: str('Node name where the event was generated.'),
  }),

  // ---- configuration ----
  obj(core('ConfigMap'), 'Non-confidential configuration data as key/value pairs, consumed by pods as environment variables, files in a volume, or command-line arguments.', {
    ...typeMeta(objectMeta),
    binaryData: map(bytes(), 'Binary values, base64-encoded. Keys may not repeat those of data.'),
    data: strMap('UTF-8 values. Keys consist of alphanumerics, "-", "_" or ".".'),
    immutable: bool('When true, data cannot be changed; only metadata can. Lets the kubelet stop watching it.'),
  }, { gvk: gvk('ConfigMap') }),
  obj(core('Secret'), 'Confidential data, such as passwords, tokens or keys, as key/value pairs of at most 1 MiB in total.', {
    ...typeMeta(objectMeta),
    data: map(bytes(), 'Values, base64-encoded. Keys consist of alphanumerics, "-", "_" or ".".'),
    immutable: bool('When true, data cannot be changed; only metadata can.'),
    stringData: strMap('Write-only convenience: plain-text values merged into data on write (taking precedence); never returned on read.'),
    type: str('How the data is meant to be used, e.g. Opaque (default), kubernetes.io/service-account-token, kubernetes.io/tls, kubernetes.io/dockerconfigjson.'),
  }, { gvk: gvk('Secret') }),
  obj(core('ServiceAccount'), 'An identity for processes that run in pods, with the credentials and image pull secrets that go with it.', {
    ...typeMeta(objectMeta),
    automountServiceAccountToken: bool('Whether pods running as this account get an API token mounted automatically; a pod may override it.'),
    imagePullSecrets: list(core('LocalObjectReference'), 'Secrets added to every pod that runs as this account, for pulling images.', { listType: 'atomic' }),
    secrets: list(core('ObjectReference'), 'Secrets that pods running as this account may use (legacy token secrets).', { mergeKey: 'name', strategy: 'merge' }),
  }, { gvk: gvk('ServiceAccount') }),

  // ---- Namespace ----
  obj(core('Namespace'), 'A scope for names: most objects live in exactly one namespace, and policies and quotas apply per namespace.', {
    ...typeMeta(objectMeta),
    spec: ref(core('NamespaceSpec'), 'Desired behaviour of the namespace.', { default: {} }),
    status: ref(core('NamespaceStatus'), 'Observed state of the namespace.', { default: {} }),
  }, { gvk: gvk('Namespace') }),
  obj(core('NamespaceSpec'), 'The desired state of a namespace.', {
    finalizers: strings('Clean-up steps that must finish before the namespace is removed from storage, e.g. "kubernetes" (delete every object inside).', { listType: 'atomic' }),
  }),
  obj(core('NamespaceStatus'), 'The observed state of a namespace.', {
    conditions: list(core('NamespaceCondition'), 'Current conditions, mostly about deletion progress.', { mapKeys: ['type'], listType: 'map', mergeKey: 'type', strategy: 'merge' }),
    phase: str('Active, or Terminating while it is being deleted.', { enum: ['Active', 'Terminating'] }),
  }),
  obj(core('NamespaceCondition'), 'One condition of a namespace.', {
    lastTransitionTime: time('When the condition last changed status.'),
    message: str('Human-readable details.'),
    reason: str('CamelCase reason.'),
    status: str('True, False or Unknown.'),
    type: str('Type of the condition, e.g. NamespaceDeletionContentFailure.'),
  }, { required: ['type', 'status'] }),

  // ---- Node ----
  obj(core('Node'), 'A worker machine that runs pods. Each node runs a kubelet that registers it and reports its status.', {
    ...typeMeta(objectMeta),
    spec: ref(core('NodeSpec'), 'Desired configuration of the node.', { default: {} }),
    status: ref(core('NodeStatus'), 'Most recently observed state of the node, reported by its kubelet.', { default: {} }),
  }, { gvk: gvk('Node') }),
  obj(core('NodeSpec'), 'The desired configuration of a node.', {
    configSource: ref(core('NodeConfigSource'), 'Deprecated: dynamic kubelet configuration is no longer supported.'),
    externalID: str('Deprecated; not used.'),
    podCIDR: str('Pod IP range assigned to the node.'),
    podCIDRs: strings('Pod IP ranges assigned to the node, one per family; the first equals podCIDR.', { listType: 'set', strategy: 'merge' }),
    providerID: str('ID of the node at its cloud provider, as <provider>://<id>.'),
    taints: list(core('Taint'), 'Taints that repel pods which do not tolerate them.', { listType: 'atomic' }),
    unschedulable: bool('When true, no new pods are scheduled to the node (kubectl cordon). Defaults to false.'),
  }),
  obj(core('NodeConfigSource'), 'Deprecated: a source of dynamic kubelet configuration.', {
    configMap: ref(core('ConfigMapNodeConfigSource'), 'A ConfigMap holding kubelet configuration.'),
  }),
  obj(core('ConfigMapNodeConfigSource'), 'Deprecated: a ConfigMap with kubelet configuration.', {
    kubeletConfigKey: str('The key holding the configuration.'),
    name: str('Name of the ConfigMap.'),
    namespace: str('Namespace of the ConfigMap.'),
    resourceVersion: str('resourceVersion of the ConfigMap.'),
    uid: str('UID of the ConfigMap.'),
  }, { required: ['namespace', 'name', 'kubeletConfigKey'] }),
  obj(core('Taint'), 'A mark on a node that repels pods without a matching toleration.', {
    effect: str('What happens to pods that do not tolerate it: NoSchedule, PreferNoSchedule or NoExecute.', { enum: ['NoExecute', 'NoSchedule', 'PreferNoSchedule'] }),
    key: str('Taint key.'),
    timeAdded: time('When a NoExecute taint was added.'),
    value: str('Taint value.'),
  }, { required: ['key', 'effect'] }),
  obj(core('NodeStatus'), 'The observed state of a node.', {
    addresses: list(core('NodeAddress'), 'Addresses the node is reachable at.', { mapKeys: ['type'], listType: 'map', mergeKey: 'type', strategy: 'merge' }),
    allocatable: map(quantity, 'Resources available to pods: capacity minus what the system reserves.'),
    capacity: map(quantity, 'Total resources of the node.'),
    conditions: list(core('NodeCondition'), 'Current conditions of the node: Ready, MemoryPressure, DiskPressure, PIDPressure, NetworkUnavailable.', { mapKeys: ['type'], listType: 'map', mergeKey: 'type', strategy: 'merge' }),
    config: ref(core('NodeConfigStatus'), 'Deprecated: status of dynamic kubelet configuration.'),
    daemonEndpoints: ref(core('NodeDaemonEndpoints'), 'Ports of the daemons on the node.', { default: {} }),
    features: ref(core('NodeFeatures'), 'Optional features the node implements.'),
    images: list(core('ContainerImage'), 'Images present on the node.', { listType: 'atomic' }),
    nodeInfo: ref(core('NodeSystemInfo'), 'Facts about the node\'s system and software.', { default: {} }),
    phase: str('Deprecated; never set.', { enum: ['Pending', 'Running', 'Terminated'] }),
    runtimeHandlers: list(core('NodeRuntimeHandler'), 'Runtime handlers the node offers.', { listType: 'atomic' }),
    volumesAttached: list(core('AttachedVolume'), 'Volumes attached to the node.', { listType: 'atomic' }),
    volumesInUse: strings('Volumes in use (mounted) on the node.', { listType: 'atomic' }),
  }),
  obj(core('NodeAddress'), 'One address of a node.', {
    address: str('The address.'),
    type: str('Hostname, InternalIP, ExternalIP, InternalDNS or ExternalDNS.'),
  }, { required: ['type', 'address'] }),
  obj(core('NodeCondition'), 'One condition of a node.', {
    lastHeartbeatTime: time('When the kubelet last confirmed the condition.'),
    lastTransitionTime: time('When the condition last changed status.'),
    message: str('Human-readable details.'),
    reason: str('CamelCase reason.'),
    status: str('True, False or Unknown.'),
    type: str('Type of the condition.'),
  }, { required: ['type', 'status'] }),
  obj(core('NodeConfigStatus'), 'Deprecated: status of dynamic kubelet configuration.', {
    error: str('Error of the configuration, if any.'),
  }),
  obj(core('NodeDaemonEndpoints'), 'Ports of the daemons on a node.', {
    kubeletEndpoint: ref(core('DaemonEndpoint'), 'The kubelet\'s port.', { default: {} }),
  }),
  obj(core('DaemonEndpoint'), 'A daemon\'s port.', { Port: int32('Port number.') }, { required: ['Port'] }),
  obj(core('NodeFeatures'), 'Optional features a node implements.', {
    supplementalGroupsPolicy: bool('Whether the node honours pods\' supplementalGroupsPolicy.'),
  }),
  obj(core('ContainerImage'), 'An image present on a node.', {
    names: strings('Names of the image, e.g. "docker.io/library/busybox:1.35".', { listType: 'atomic' }),
    sizeBytes: int64('Size of the image in bytes.'),
  }),
  obj(core('NodeSystemInfo'), 'Facts about a node\'s system and software.', {
    architecture: str('CPU architecture reported by the node.'),
    bootID: str('Boot ID reported by the node.'),
    containerRuntimeVersion: str('Container runtime, as <runtime>://<version>.'),
    kernelVersion: str('Kernel release (uname -r).'),
    kubeProxyVersion: str('Deprecated: kube-proxy version; not reliable.'),
    kubeletVersion: str('Kubelet version.'),
    machineID: str('Machine ID (/etc/machine-id).'),
    operatingSystem: str('Operating system, e.g. linux.'),
    osImage: str('OS image, from /etc/os-release.'),
    systemUUID: str('System UUID reported by the machine.'),
  }, { required: ['machineID', 'systemUUID', 'bootID', 'kernelVersion', 'osImage', 'containerRuntimeVersion', 'kubeletVersion', 'kubeProxyVersion', 'operatingSystem', 'architecture'] }),
  obj(core('NodeRuntimeHandler'), 'A runtime handler and what it supports.', {
    features: ref(core('NodeRuntimeHandlerFeatures'), 'Features the handler supports.'),
    name: str('Handler name; empty for the default handler.'),
  }),
  obj(core('NodeRuntimeHandlerFeatures'), 'Features of a runtime handler.', {
    recursiveReadOnlyMounts: bool('Whether recursive read-only mounts are supported.'),
    userNamespaces: bool('Whether user namespaces are supported.'),
  }),
  obj(core('AttachedVolume'), 'A volume attached to a node.', {
    devicePath: str('Where the device appears on the node.'),
    name: str('Name of the volume.'),
  }, { required: ['name', 'devicePath'] }),

  // ---- quotas and limits ----
  obj(core('ResourceQuota'), 'Caps on the total resources and object counts of one namespace.', {
    ...typeMeta(objectMeta),
    spec: ref(core('ResourceQuotaSpec'), 'The caps.', { default: {} }),
    status: ref(core('ResourceQuotaStatus'), 'The caps as enforced and the current usage.', { default: {} }),
  }, { gvk: gvk('ResourceQuota') }),
  obj(core('ResourceQuotaSpec'), 'The caps a quota enforces.', {
    hard: map(quantity, 'The most of each named resource the namespace may use, e.g. pods, requests.cpu, limits.memory, count/deployments.apps.'),
    scopeSelector: ref(core('ScopeSelector'), 'Limits the quota to objects matching these scope expressions.'),
    scopes: strings('Limits the quota to objects in all of these scopes (Terminating, NotTerminating, BestEffort, NotBestEffort, PriorityClass…).', { listType: 'atomic' }),
  }),
  obj(core('ScopeSelector'), 'Scope expressions, ANDed.', {
    matchExpressions: list(core('ScopedResourceSelectorRequirement'), 'The expressions.', { listType: 'atomic' }),
  }, { mapType: 'atomic' }),
  obj(core('ScopedResourceSelectorRequirement'), 'One condition on a quota scope.', {
    operator: str('In, NotIn, Exists or DoesNotExist.', { enum: ['DoesNotExist', 'Exists', 'In', 'NotIn'] }),
    scopeName: str('The scope the condition applies to.'),
    values: strings('Values for In and NotIn.', { listType: 'atomic' }),
  }, { required: ['scopeName', 'operator'] }),
  obj(core('ResourceQuotaStatus'), 'Enforced caps and current usage.', {
    hard: map(quantity, 'The caps currently enforced.'),
    used: map(quantity, 'Current usage in the namespace.'),
  }),
  obj(core('LimitRange'), 'Per-object resource constraints and defaults within one namespace.', {
    ...typeMeta(objectMeta),
    spec: ref(core('LimitRangeSpec'), 'The limits.', { default: {} }),
  }, { gvk: gvk('LimitRange') }),
  obj(core('LimitRangeSpec'), 'The limits of a LimitRange.', {
    limits: list(core('LimitRangeItem'), 'One entry per kind of object limited.', { listType: 'atomic' }),
  }, { required: ['limits'] }),
  obj(core('LimitRangeItem'), 'Limits for one kind of object (Pod, Container, PersistentVolumeClaim).', {
    default: map(quantity, 'Limits given to containers that set none.'),
    defaultRequest: map(quantity, 'Requests given to containers that set none.'),
    max: map(quantity, 'The most of each resource an object may use.'),
    maxLimitRequestRatio: map(quantity, 'The largest allowed limit/request ratio per resource.'),
    min: map(quantity, 'The least of each resource an object must ask for.'),
    type: str('Kind of object limited: Pod, Container or PersistentVolumeClaim.'),
  }, { required: ['type'] }),
  // ---- PersistentVolumeClaim (a StatefulSet's volumeClaimTemplates are whole claims) ----
  obj(core('PersistentVolumeClaim'), 'A request for storage by a user, bound to a PersistentVolume.', {
    ...typeMeta(objectMeta),
    spec: ref(core('PersistentVolumeClaimSpec'), 'The storage wanted.', { default: {} }),
    status: ref(core('PersistentVolumeClaimStatus'), 'The observed state of the claim.', { default: {} }),
  }, { gvk: gvk('PersistentVolumeClaim') }),
  obj(core('PersistentVolumeClaimStatus'), 'The observed state of a claim.', {
    accessModes: strings('Access modes of the bound volume.', { listType: 'atomic' }),
    capacity: map(quantity, 'Capacity of the bound volume.'),
    phase: str('Pending, Bound or Lost.', { enum: ['Bound', 'Lost', 'Pending'] }),
  }),
  obj(core('PodTemplate'), 'A pod template stored on its own, for controllers and users to refer to.', {
    ...typeMeta(meta('ObjectMeta')),
    template: ref(core('PodTemplateSpec'), 'The pod it describes.', { default: {} }),
  }, { gvk: [{ group: '', version: 'v1', kind: 'PodTemplate' }] }),
];
