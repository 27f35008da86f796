// Server-side printing: the Table columns kube-apiserver returns for each kind, so `kubectl get` (and `-o wide`,
// whose extra columns have priority 1) prints what kubectl users know.
import { formatLabels, formatLabelSelector } from '../../api/labels.js';
import type { CustomResourceColumnDefinition, KubeObject } from '../../api/types.js';
import type { Column, Printer } from './columns.js';
import { findJSONPath, parseJSONPath } from './jsonpath.js';
import { toCore as eventToCore } from './registry/events/event.js';
import { v1ToV2 as hpaToV2 } from './registry/autoscaling/hpa.js';

type Any = any;

/** Kubernetes' HumanDuration: 45s, 2m30s, 93m, 5h10m, 47h, 5d22h, 93d, 2y30d. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(s / 3600);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 24 * 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (h < 24 * 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  if (h < 24 * 365 * 8) return d % 365 === 0 ? `${y}y` : `${y}y${d % 365}d`;
  return `${y}y`;
}

export function age(ts: string | undefined, now: number): string {
  return ts ? humanDuration(now - Date.parse(ts)) : '<unknown>';
}

const name: Column = { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.' };
const ageCol: Column = { name: 'Age', type: 'string', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' };
const wide = (c: Omit<Column, 'priority'>): Column => ({ ...c, priority: 1 });

function podStatusReason(p: Any): { ready: string; status: string; restarts: string } {
  const statuses: Any[] = p.status?.containerStatuses ?? [];
  const total = p.spec?.containers?.length ?? 0;
  let readyCount = 0;
  let restarts = 0;
  let lastRestart = 0;
  let reason: string = p.status?.reason || p.status?.phase || 'Pending';
  let initializing = false;
  (p.status?.initContainerStatuses ?? []).forEach((c: Any, i: number) => {
    restarts += c.restartCount ?? 0;
    if (c.state?.terminated?.exitCode === 0) return;
    if (c.state?.terminated) reason = c.state.terminated.reason ? `Init:${c.state.terminated.reason}` : `Init:ExitCode:${c.state.terminated.exitCode}`;
    else if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing') reason = `Init:${c.state.waiting.reason}`;
    else reason = `Init:${i}/${p.spec?.initContainers?.length ?? 0}`;
    initializing = true;
  });
  if (!initializing) {
    let hasRunning = false;
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i];
      restarts += c.restartCount ?? 0;
      const finished = c.lastState?.terminated?.finishedAt;
      if (finished) lastRestart = Math.max(lastRestart, Date.parse(finished));
      if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
      else if (c.state?.terminated?.reason) reason = c.state.terminated.reason;
      else if (c.state?.terminated) reason = c.state.terminated.signal ? `Signal:${c.state.terminated.signal}` : `ExitCode:${c.state.terminated.exitCode}`;
      else if (c.ready && c.state?.running) {
        hasRunning = true;
        readyCount++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = 'Running';
  }
  if (p.metadata?.deletionTimestamp) reason = p.status?.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  let restartText = String(restarts);
  if (lastRestart && restarts > 0) restartText = `${restarts} (${humanDuration(Date.now() - lastRestart)} ago)`;
  return { ready: `${readyCount}/${total}`, status: reason, restarts: restartText };
}

function servicePorts(s: Any): string {
  const ports: Any[] = s.spec?.ports ?? [];
  if (!ports.length) return '<none>';
  return ports.map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}` : `${p.port}/${p.protocol ?? 'TCP'}`)).join(',');
}

function externalIP(s: Any): string {
  const type = s.spec?.type;
  if (type === 'ExternalName') return s.spec?.externalName ?? '<none>';
  const ext: string[] = [...(s.status?.loadBalancer?.ingress ?? []).map((i: Any) => i.ip || i.hostname), ...(s.spec?.externalIPs ?? [])];
  if (type === 'LoadBalancer' && !ext.length) return '<pending>';
  return ext.length ? ext.join(',') : '<none>';
}

/** Up to three rule hosts ("*" when none names one), then how many rules are past three (kubectl's formatHosts). */
function ingressHosts(rules: Any[]): string {
  const hosts: string[] = [];
  let more = false;
  for (const r of rules) {
    if (hosts.length === 3) more = true;
    if (!more && r?.host) hosts.push(r.host);
  }
  if (!hosts.length) return '*';
  return more ? `${hosts.join(',')} + ${rules.length - 3} more...` : hosts.join(',');
}

/** The load balancer's addresses, each once, sorted (the server prints wide: never shortened). */
function ingressAddress(i: Any): string {
  const addrs = new Set<string>();
  for (const lb of i.status?.loadBalancer?.ingress ?? []) if (lb?.ip || lb?.hostname) addrs.add(lb.ip || lb.hostname);
  return [...addrs].sort().join(',');
}

function ingressClassParameters(p: Any): string {
  if (!p) return '<none>';
  return `${p.kind}${p.apiGroup ? `.${p.apiGroup}` : ''}/${p.name}`;
}

function endpointsText(e: Any): string {
  const out: string[] = [];
  let total = 0;
  for (const ss of e.subsets ?? []) {
    for (const a of ss.addresses ?? []) {
      for (const p of ss.ports?.length ? ss.ports : [{}]) {
        total++;
        if (out.length < 3) out.push(p.port ? `${a.ip}:${p.port}` : a.ip);
      }
    }
  }
  if (!total) return '<none>';
  return total > 3 ? `${out.join(',')} + ${total - 3} more...` : out.join(',');
}

function nodeStatus(n: Any): string {
  const ready = (n.status?.conditions ?? []).find((c: Any) => c.type === 'Ready');
  let s = ready?.status === 'True' ? 'Ready' : ready ? 'NotReady' : 'Unknown';
  if (n.spec?.unschedulable) s += ',SchedulingDisabled';
  return s;
}

function nodeRoles(n: Any): string {
  const roles: string[] = [];
  for (const [k, v] of Object.entries(n.metadata?.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) roles.push(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role') roles.push(String(v));
  }
  return roles.length ? roles.sort().join(',') : '<none>';
}

/** The -o wide columns every workload kind has, filled by containersAndImages. */
const CONTAINERS = wide({ name: 'Containers', type: 'string', description: 'Names of each container in the template.' });
const IMAGES = wide({ name: 'Images', type: 'string', description: 'Images referenced by each container in the template.' });
const containersAndImages = (spec: Any) => [
  (spec?.containers ?? []).map((c: Any) => c.name).join(','),
  (spec?.containers ?? []).map((c: Any) => c.image).join(','),
];

/** A binding's subjects as kubectl lists them (rbac.SubjectsStrings): users, groups, and service accounts as namespace/name. */
function subjectColumns(b: Any): string[] {
  const of = (kind: string, show: (s: Any) => string) => (b.subjects ?? []).filter((s: Any) => s?.kind === kind).map(show).join(', ');
  return [of('User', (s) => s.name), of('Group', (s) => s.name), of('ServiceAccount', (s) => `${s.namespace ?? ''}/${s.name}`)];
}

function bindingPrinter(what: string, roleDescription: string): Printer {
  return {
    columns: [
      name,
      { name: 'Role', type: 'string', description: roleDescription },
      ageCol,
      wide({ name: 'Users', type: 'string', description: `Users in the ${what}` }),
      wide({ name: 'Groups', type: 'string', description: `Groups in the ${what}` }),
      wide({ name: 'ServiceAccounts', type: 'string', description: `ServiceAccounts in the ${what}` }),
    ],
    row: (b, now) => [b.metadata.name, `${b.roleRef?.kind ?? ''}/${b.roleRef?.name ?? ''}`, age(b.metadata.creationTimestamp, now), ...subjectColumns(b)],
  };
}

/** A CSR's CONDITION: Denied over Approved over Pending, then Failed and Issued (extractCSRStatus). */
function csrCondition(c: Any): string {
  const has = (t: string) => (c.status?.conditions ?? []).some((x: Any) => x?.type === t);
  let s = has('Denied') ? 'Denied' : has('Approved') ? 'Approved' : 'Pending';
  if (has('Failed')) s += ',Failed';
  if (c.status?.certificate) s += ',Issued';
  return s;
}

/** Access modes abbreviated, in kubectl's order (GetAccessModesAsString): RWO,ROX,RWX,RWOP. */
function accessModes(modes: unknown): string {
  const have = new Set(Array.isArray(modes) ? modes : []);
  return ([['ReadWriteOnce', 'RWO'], ['ReadOnlyMany', 'ROX'], ['ReadWriteMany', 'RWX'], ['ReadWriteOncePod', 'RWOP']] as const).filter(([m]) => have.has(m)).map(([, a]) => a).join(',');
}

const isDefaultStorageClass = (c: Any) => c.metadata?.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true' || c.metadata?.annotations?.['storageclass.beta.kubernetes.io/is-default-class'] === 'true';

/** kubectl's TARGETS of an autoscaler (formatHPAMetrics): `cpu: 85%/50%`, `<unknown>` where nothing is read yet. */
function hpaTargets(h: Any): string {
  const specs: Any[] = h.spec?.metrics ?? [];
  if (!specs.length) return '<none>';
  const current: Any[] = h.status?.currentMetrics ?? [];
  const list = specs.map((m: Any, i: number) => {
    const cur = current[i];
    const src = m.type === 'Resource' ? m.resource : m.type === 'ContainerResource' ? m.containerResource : undefined;
    if (!src) {
      const other = m.pods ?? m.object ?? m.external;
      const t = other?.target ?? {};
      const c = cur?.[m.type.charAt(0).toLowerCase() + m.type.slice(1)]?.current ?? {};
      return `${c.averageValue ?? c.value ?? '<unknown>'}/${t.averageValue ?? t.value ?? ''}${t.averageValue ? ' (avg)' : ''}`;
    }
    const c = (m.type === 'Resource' ? cur?.resource : cur?.containerResource)?.current;
    const label = m.type === 'ContainerResource' ? `${src.name} of container ${src.container}` : src.name;
    if (src.target.type === 'Utilization') return `${label}: ${c?.averageUtilization !== undefined ? `${c.averageUtilization}%` : '<unknown>'}/${src.target.averageUtilization}%`;
    return `${label}: ${c?.averageValue ?? c?.value ?? '<unknown>'}/${src.target.averageValue ?? src.target.value}`;
  });
  return list.length > 2 ? `${list.slice(0, 2).join(', ')} + ${list.length - 2} more...` : list.join(', ');
}

const printers: Record<string, Printer> = {
  Pod: {
    columns: [
      name,
      { name: 'Ready', type: 'string', description: 'The aggregate readiness state of this pod for accepting traffic.' },
      { name: 'Status', type: 'string', description: 'The aggregate status of the containers in this pod.' },
      { name: 'Restarts', type: 'string', description: 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.' },
      ageCol,
      wide({ name: 'IP', type: 'string', description: 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.' }),
      wide({ name: 'Node', type: 'string', description: 'NodeName is a request to schedule this pod onto a specific node.' }),
      wide({ name: 'Nominated Node', type: 'string', description: 'nominatedNodeName is set only when this pod preempts other pods on the node.' }),
      wide({ name: 'Readiness Gates', type: 'string', description: 'If specified, all readiness gates will be evaluated for pod readiness.' }),
    ],
    row(p, now) {
      const s = podStatusReason(p);
      const gates: Any[] = p.spec?.readinessGates ?? [];
      return [p.metadata.name, s.ready, s.status, s.restarts, age(p.metadata.creationTimestamp, now), p.status?.podIP || '<none>', p.spec?.nodeName || '<none>', p.status?.nominatedNodeName || '<none>', gates.length ? `${gates.length}` : '<none>'];
    },
  },
  Node: {
    columns: [
      name,
      { name: 'Status', type: 'string', description: 'The status of the node' },
      { name: 'Roles', type: 'string', description: 'The roles of the node' },
      ageCol,
      { name: 'Version', type: 'string', description: 'Kubelet Version reported by the node.' },
      wide({ name: 'Internal-IP', type: 'string', description: 'List of addresses reachable to the node.' }),
      wide({ name: 'External-IP', type: 'string', description: 'List of addresses reachable to the node.' }),
      wide({ name: 'OS-Image', type: 'string', description: 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).' }),
      wide({ name: 'Kernel-Version', type: 'string', description: "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64)." }),
      wide({ name: 'Container-Runtime', type: 'string', description: 'Container runtime version reported by the node through runtime remote API (e.g. containerd://1.4.2).' }),
    ],
    row(n, now) {
      const addr = (t: string) => (n.status?.addresses ?? []).find((a: Any) => a.type === t)?.address ?? '<none>';
      const info = n.status?.nodeInfo ?? {};
      return [n.metadata.name, nodeStatus(n), nodeRoles(n), age(n.metadata.creationTimestamp, now), info.kubeletVersion ?? '', addr('InternalIP'), addr('ExternalIP'), info.osImage ?? '<unknown>', info.kernelVersion ?? '<unknown>', info.containerRuntimeVersion ?? '<unknown>'];
    },
  },
  Service: {
    columns: [
      name,
      { name: 'Type', type: 'string', description: 'type determines how the Service is exposed.' },
      { name: 'Cluster-IP', type: 'string', description: 'clusterIP is the IP address of the service and is usually assigned randomly.' },
      { name: 'External-IP', type: 'string', description: 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.' },
      { name: 'Port(s)', type: 'string', description: 'The list of ports that are exposed by this service.' },
      ageCol,
      wide({ name: 'Selector', type: 'string', description: 'Route service traffic to pods with label keys and values matching this selector.' }),
    ],
    row(s, now) {
      const sel = s.spec?.selector && Object.keys(s.spec.selector).length ? formatLabelSelector({ matchLabels: s.spec.selector }) : '<none>';
      return [s.metadata.name, s.spec?.type ?? 'ClusterIP', s.spec?.clusterIP || '<none>', externalIP(s), servicePorts(s), age(s.metadata.creationTimestamp, now), sel];
    },
  },
  Endpoints: {
    columns: [name, { name: 'Endpoints', type: 'string', description: 'Endpoints of the service' }, ageCol],
    row: (e, now) => [e.metadata.name, endpointsText(e), age(e.metadata.creationTimestamp, now)],
  },
  EndpointSlice: {
    columns: [
      name,
      { name: 'AddressType', type: 'string', description: 'The IP protocol for this slice' },
      { name: 'Ports', type: 'string', description: 'Ports present in the slice' },
      { name: 'Endpoints', type: 'string', description: 'Endpoints present in the slice' },
      ageCol,
    ],
    row(e, now) {
      const ports: Any[] = e.ports ?? [];
      const addrs: string[] = (e.endpoints ?? []).flatMap((ep: Any) => ep.addresses ?? []);
      const portText = ports.length ? ports.map((p) => (p.port === undefined || p.port === null ? '<unset>' : String(p.port))).join(',') : '<unset>';
      const epText = addrs.length ? (addrs.length > 3 ? `${addrs.slice(0, 3).join(',')} + ${addrs.length - 3} more...` : addrs.join(',')) : '<unset>';
      return [e.metadata.name, e.addressType, portText, epText, age(e.metadata.creationTimestamp, now)];
    },
  },
  Deployment: {
    columns: [
      name,
      { name: 'Ready', type: 'string', description: 'Number of the pod with ready state' },
      { name: 'Up-to-date', type: 'integer', description: 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.' },
      { name: 'Available', type: 'integer', description: 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.' },
      ageCol,
      CONTAINERS,
      IMAGES,
      wide({ name: 'Selector', type: 'string', description: 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.' }),
    ],
    row(d, now) {
      const st = d.status ?? {};
      return [d.metadata.name, `${st.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`, st.updatedReplicas ?? 0, st.availableReplicas ?? 0, age(d.metadata.creationTimestamp, now), ...containersAndImages(d.spec?.template?.spec), formatLabelSelector(d.spec?.selector)];
    },
  },
  ReplicaSet: {
    columns: [
      name,
      { name: 'Desired', type: 'integer', description: 'Replicas is the number of desired pods.' },
      { name: 'Current', type: 'integer', description: 'Replicas is the most recently observed number of replicas.' },
      { name: 'Ready', type: 'integer', description: 'readyReplicas is the number of pods targeted by this ReplicaSet with a Ready Condition.' },
      ageCol,
      CONTAINERS,
      IMAGES,
      wide({ name: 'Selector', type: 'string', description: 'Selector is a label query over pods that should match the replica count.' }),
    ],
    row(r, now) {
      return [r.metadata.name, r.spec?.replicas ?? 0, r.status?.replicas ?? 0, r.status?.readyReplicas ?? 0, age(r.metadata.creationTimestamp, now), ...containersAndImages(r.spec?.template?.spec), formatLabelSelector(r.spec?.selector)];
    },
  },
  ReplicationController: {
    columns: [
      name,
      { name: 'Desired', type: 'integer', description: 'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1.' },
      { name: 'Current', type: 'integer', description: 'Replicas is the most recently observed number of replicas.' },
      { name: 'Ready', type: 'integer', description: 'The number of ready replicas for this replication controller.' },
      ageCol,
      CONTAINERS,
      IMAGES,
      wide({ name: 'Selector', type: 'string', description: 'Selector is a label query over pods that should match the Replicas count. If Selector is empty, it is defaulted to the labels present on the Pod template.' }),
    ],
    row(r, now) {
      return [r.metadata.name, r.spec?.replicas ?? 0, r.status?.replicas ?? 0, r.status?.readyReplicas ?? 0, age(r.metadata.creationTimestamp, now), ...containersAndImages(r.spec?.template?.spec), formatLabels(r.spec?.selector)];
    },
  },
  PodDisruptionBudget: {
    columns: [
      name,
      { name: 'Min Available', type: 'string', description: 'An eviction is allowed if at least "minAvailable" pods selected by "selector" will still be available after the eviction, i.e. even in the absence of the evicted pod.  So for example you can prevent all voluntary evictions by specifying "100%".' },
      { name: 'Max Unavailable', type: 'string', description: 'An eviction is allowed if at most "maxUnavailable" pods selected by "selector" are unavailable after the eviction, i.e. even in absence of the evicted pod. For example, one can prevent all voluntary evictions by specifying 0. This is a mutually exclusive setting with "minAvailable".' },
      { name: 'Allowed Disruptions', type: 'integer', description: 'Number of pod disruptions that are currently allowed.' },
      ageCol,
    ],
    row: (p, now) => [p.metadata.name, String(p.spec?.minAvailable ?? 'N/A'), String(p.spec?.maxUnavailable ?? 'N/A'), p.status?.disruptionsAllowed ?? 0, age(p.metadata.creationTimestamp, now)],
  },
  DaemonSet: {
    columns: [
      name,
      { name: 'Desired', type: 'integer', description: 'The total number of nodes that should be running the daemon pod.' },
      { name: 'Current', type: 'integer', description: 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.' },
      { name: 'Ready', type: 'integer', description: 'numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.' },
      { name: 'Up-to-date', type: 'integer', description: 'The total number of nodes that are running updated daemon pod' },
      { name: 'Available', type: 'integer', description: 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.' },
      { name: 'Node Selector', type: 'string', description: 'NodeSelector is a selector which must be true for the pod to fit on a node.' },
      ageCol,
      CONTAINERS,
      IMAGES,
      wide({ name: 'Selector', type: 'string', description: 'A label query over pods that are managed by the daemon set.' }),
    ],
    row(d, now) {
      const st = d.status ?? {};
      const ns = d.spec?.template?.spec?.nodeSelector;
      const nsText = ns && Object.keys(ns).length ? Object.entries(ns).map(([k, v]) => `${k}=${v}`).join(',') : '<none>';
      return [d.metadata.name, st.desiredNumberScheduled ?? 0, st.currentNumberScheduled ?? 0, st.numberReady ?? 0, st.updatedNumberScheduled ?? 0, st.numberAvailable ?? 0, nsText, age(d.metadata.creationTimestamp, now), ...containersAndImages(d.spec?.template?.spec), formatLabelSelector(d.spec?.selector)];
    },
  },
  StatefulSet: {
    columns: [
      name,
      { name: 'Ready', type: 'string', description: 'Number of the pod with ready state' },
      ageCol,
      CONTAINERS,
      IMAGES,
    ],
    row: (s, now) => [s.metadata.name, `${s.status?.readyReplicas ?? 0}/${s.spec?.replicas ?? 0}`, age(s.metadata.creationTimestamp, now), ...containersAndImages(s.spec?.template?.spec)],
  },
  Job: {
    columns: [
      name,
      { name: 'Status', type: 'string', description: 'Status of the job.' },
      { name: 'Completions', type: 'string', description: 'The desired number of successfully finished pods the job should be run with.' },
      { name: 'Duration', type: 'string', description: 'Time required to complete the job.' },
      ageCol,
      CONTAINERS,
      IMAGES,
      wide({ name: 'Selector', type: 'string', description: 'A label query over pods that should match the pod count.' }),
    ],
    row(j, now) {
      const st = j.status ?? {};
      const parallelism = j.spec?.parallelism ?? 0;
      const completions = j.spec?.completions !== undefined && j.spec?.completions !== null ? `${st.succeeded ?? 0}/${j.spec.completions}` : parallelism > 1 ? `${st.succeeded ?? 0}/1 of ${parallelism}` : `${st.succeeded ?? 0}/1`;
      const duration = !st.startTime ? '' : humanDuration((st.completionTime ? Date.parse(st.completionTime) : now) - Date.parse(st.startTime));
      const has = (t: string) => (st.conditions ?? []).some((c: Any) => c.type === t && c.status === 'True');
      const status = has('Complete') ? 'Complete' : has('Failed') ? 'Failed' : j.metadata.deletionTimestamp ? 'Terminating' : has('Suspended') ? 'Suspended' : has('FailureTarget') ? 'FailureTarget' : has('SuccessCriteriaMet') ? 'SuccessCriteriaMet' : 'Running';
      return [j.metadata.name, status, completions, duration, age(j.metadata.creationTimestamp, now), ...containersAndImages(j.spec?.template?.spec), formatLabelSelector(j.spec?.selector)];
    },
  },
  CronJob: {
    columns: [
      name,
      { name: 'Schedule', type: 'string', description: 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.' },
      { name: 'Timezone', type: 'string', description: 'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.' },
      { name: 'Suspend', type: 'boolean', description: 'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.' },
      { name: 'Active', type: 'integer', description: 'A list of pointers to currently running jobs.' },
      { name: 'Last Schedule', type: 'string', description: 'Information when was the last time the job was successfully scheduled.' },
      ageCol,
      CONTAINERS,
      IMAGES,
      wide({ name: 'Selector', type: 'string', description: 'A label query over pods that should match the pod count.' }),
    ],
    row(c, now) {
      const suspend = c.spec?.suspend === undefined || c.spec?.suspend === null ? '<unset>' : c.spec.suspend ? 'True' : 'False';
      const jt = c.spec?.jobTemplate?.spec;
      return [c.metadata.name, c.spec?.schedule ?? '', c.spec?.timeZone ?? '<none>', suspend, (c.status?.active ?? []).length, c.status?.lastScheduleTime ? age(c.status.lastScheduleTime, now) : '<none>', age(c.metadata.creationTimestamp, now), ...containersAndImages(jt?.template?.spec), formatLabelSelector(jt?.selector)];
    },
  },
  ResourceQuota: {
    columns: [
      name,
      ageCol,
      { name: 'Request', type: 'string', description: 'Request represents a minimum amount of cpu/memory that a container may consume.' },
      { name: 'Limit', type: 'string', description: 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.' },
    ],
    row(q, now) {
      const hard: Record<string, unknown> = q.status?.hard ?? {};
      const used: Record<string, unknown> = q.status?.used ?? {};
      const request: string[] = [];
      const limit: string[] = [];
      for (const r of Object.keys(hard).sort()) (r.startsWith('limits.') ? limit : request).push(`${r}: ${used[r] ?? '0'}/${hard[r]}`);
      return [q.metadata.name, age(q.metadata.creationTimestamp, now), request.join(', '), limit.join(', ')];
    },
  },
  Namespace: {
    columns: [name, { name: 'Status', type: 'string', description: 'The status of the namespace' }, ageCol],
    row: (n, now) => [n.metadata.name, n.status?.phase ?? 'Active', age(n.metadata.creationTimestamp, now)],
  },
  APIService: {
    columns: [
      name,
      { name: 'Service', type: 'string', description: 'The reference to the service that hosts this API endpoint.' },
      { name: 'Available', type: 'string', description: 'Whether this service is available.' },
      ageCol,
    ],
    row(a, now) {
      const svc = a.spec?.service;
      const c = (a.status?.conditions ?? []).find((x: Any) => x.type === 'Available');
      const available = !c ? 'Unknown' : c.status === 'True' ? 'True' : `${c.status} (${c.reason ?? ''})`;
      return [a.metadata.name, svc ? `${svc.namespace}/${svc.name}` : 'Local', available, age(a.metadata.creationTimestamp, now)];
    },
  },
  HorizontalPodAutoscaler: {
    columns: [
      name,
      { name: 'Reference', type: 'string', description: 'The reference to the resource being scaled.' },
      { name: 'Targets', type: 'string', description: 'The current and target values of the metrics.' },
      { name: 'MinPods', type: 'string', description: 'Lower limit for the number of pods that can be set by the autoscaler, default 1.' },
      { name: 'MaxPods', type: 'integer', description: 'Upper limit for the number of pods that can be set by the autoscaler; cannot be smaller than MinReplicas.' },
      { name: 'Replicas', type: 'integer', description: 'Current number of replicas of pods managed by this autoscaler.' },
      ageCol,
    ],
    row(h, now) {
      const v2: Any = h.apiVersion === 'autoscaling/v1' ? hpaToV2(h) : h;
      const ref = v2.spec?.scaleTargetRef ?? {};
      return [h.metadata.name, `${ref.kind ?? ''}/${ref.name ?? ''}`, hpaTargets(v2), v2.spec?.minReplicas === undefined ? '<unset>' : String(v2.spec.minReplicas), v2.spec?.maxReplicas ?? 0, v2.status?.currentReplicas ?? 0, age(h.metadata.creationTimestamp, now)];
    },
  },
  Lease: {
    columns: [name, { name: 'Holder', type: 'string', description: 'holderIdentity contains the identity of the holder of a current lease.' }, ageCol],
    row: (l, now) => [l.metadata.name, l.spec?.holderIdentity ?? '', age(l.metadata.creationTimestamp, now)],
  },
  PriorityClass: {
    columns: [
      name,
      { name: 'Value', type: 'integer', description: 'value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec.' },
      { name: 'Global-Default', type: 'boolean', description: 'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class. Only one PriorityClass can be marked as `globalDefault`. However, if more than one PriorityClasses exists with their `globalDefault` field set to true, the smallest value of such global default PriorityClasses will be used as the default priority.' },
      ageCol,
      { name: 'PreemptionPolicy', type: 'string', description: 'preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset.' },
    ],
    row: (c, now) => [c.metadata.name, c.value ?? 0, c.globalDefault ?? false, age(c.metadata.creationTimestamp, now), c.preemptionPolicy ?? ''],
  },
  RuntimeClass: {
    columns: [name, { name: 'Handler', type: 'string', description: 'handler specifies the underlying runtime and configuration that the CRI implementation will use to handle pods of this class.' }, ageCol],
    row: (c, now) => [c.metadata.name, c.handler ?? '', age(c.metadata.creationTimestamp, now)],
  },
  ControllerRevision: {
    columns: [
      name,
      { name: 'Controller', type: 'string', description: 'Controller of the object' },
      { name: 'Revision', type: 'integer', description: 'revision indicates the revision of the state represented by Data.' },
      ageCol,
    ],
    row(r, now) {
      const owner = r.metadata.ownerReferences?.find((o: any) => o.controller);
      const controller = owner ? `${String(owner.apiVersion).split('/')[0] === 'apps' ? `${String(owner.kind).toLowerCase()}.apps` : String(owner.kind).toLowerCase()}/${owner.name}` : '<none>';
      return [r.metadata.name, controller, r.revision ?? 0, age(r.metadata.creationTimestamp, now)];
    },
  },
  NetworkPolicy: {
    columns: [name, { name: 'Pod-Selector', type: 'string', description: 'podSelector selects the pods to which this NetworkPolicy object applies. The array of rules is applied to any pods selected by this field. An empty selector matches all pods in the policy\'s namespace.' }, ageCol],
    row: (p, now) => [p.metadata.name, formatLabelSelector(p.spec?.podSelector ?? {}), age(p.metadata.creationTimestamp, now)],
  },
  Ingress: {
    columns: [
      name,
      { name: 'Class', type: 'string', description: 'The name of the IngressClass resource that should be used for additional configuration' },
      { name: 'Hosts', type: 'string', description: 'Hosts that incoming requests are matched against before the ingress rule' },
      { name: 'Address', type: 'string', description: 'Address is a list containing ingress points for the load-balancer' },
      { name: 'Ports', type: 'string', description: 'Ports of TLS configurations that open' },
      ageCol,
    ],
    row: (i, now) => [i.metadata.name, i.spec?.ingressClassName ?? '<none>', ingressHosts(i.spec?.rules ?? []), ingressAddress(i), i.spec?.tls?.length ? '80, 443' : '80', age(i.metadata.creationTimestamp, now)],
  },
  IngressClass: {
    columns: [
      name,
      { name: 'Controller', type: 'string', description: 'Controller that is responsible for handling this class' },
      { name: 'Parameters', type: 'string', description: 'A reference to a resource with additional parameters' },
      ageCol,
    ],
    row: (c, now) => [c.metadata.name, c.spec?.controller ?? '', ingressClassParameters(c.spec?.parameters), age(c.metadata.creationTimestamp, now)],
  },
  PersistentVolume: {
    columns: [
      name,
      { name: 'Capacity', type: 'string', description: "capacity is the description of the persistent volume's resources and capacity." },
      { name: 'Access Modes', type: 'string', description: 'accessModes contains all ways the volume can be mounted.' },
      { name: 'Reclaim Policy', type: 'string', description: 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.' },
      { name: 'Status', type: 'string', description: 'phase indicates if a volume is available, bound to a claim, or released by a claim.' },
      { name: 'Claim', type: 'string', description: 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.' },
      { name: 'StorageClass', type: 'string', description: 'storageClassName is the name of StorageClass to which this persistent volume belongs. Empty value means that this volume does not belong to any StorageClass.' },
      { name: 'VolumeAttributesClass', type: 'string', description: 'Name of VolumeAttributesClass to which this persistent volume belongs. Empty value is not allowed.' },
      { name: 'Reason', type: 'string', description: 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.' },
      ageCol,
      wide({ name: 'VolumeMode', type: 'string', description: 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.' }),
    ],
    row(v, now) {
      const claim = v.spec?.claimRef ? `${v.spec.claimRef.namespace ?? ''}/${v.spec.claimRef.name ?? ''}` : '';
      const phase = v.metadata.deletionTimestamp ? 'Terminating' : (v.status?.phase ?? '');
      return [v.metadata.name, v.spec?.capacity?.storage ?? '0', accessModes(v.spec?.accessModes), v.spec?.persistentVolumeReclaimPolicy ?? '', phase, claim, v.spec?.storageClassName ?? '', v.spec?.volumeAttributesClassName ?? '<unset>', v.status?.reason ?? '', age(v.metadata.creationTimestamp, now), v.spec?.volumeMode ?? '<unset>'];
    },
  },
  PersistentVolumeClaim: {
    columns: [
      name,
      { name: 'Status', type: 'string', description: 'phase represents the current phase of PersistentVolumeClaim.' },
      { name: 'Volume', type: 'string', description: 'volumeName is the binding reference to the PersistentVolume backing this claim.' },
      { name: 'Capacity', type: 'string', description: 'capacity represents the actual resources of the underlying volume.' },
      { name: 'Access Modes', type: 'string', description: 'accessModes contains the actual access modes the volume backing the PVC has.' },
      { name: 'StorageClass', type: 'string', description: 'storageClassName is the name of the StorageClass required by the claim.' },
      { name: 'VolumeAttributesClass', type: 'string', description: 'volumeAttributesClassName may be used to set the VolumeAttributesClass used by this claim.' },
      ageCol,
      wide({ name: 'VolumeMode', type: 'string', description: 'volumeMode defines what type of volume is required by the claim.' }),
    ],
    row(c, now) {
      const bound = !!c.spec?.volumeName;
      const phase = c.metadata.deletionTimestamp ? 'Terminating' : (c.status?.phase ?? '');
      const cls = c.spec?.storageClassName ?? c.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? '';
      return [c.metadata.name, phase, c.spec?.volumeName ?? '', bound ? (c.status?.capacity?.storage ?? '') : '', bound ? accessModes(c.status?.accessModes) : '', cls, c.spec?.volumeAttributesClassName ?? '<unset>', age(c.metadata.creationTimestamp, now), c.spec?.volumeMode ?? '<unset>'];
    },
  },
  StorageClass: {
    columns: [
      name,
      { name: 'Provisioner', type: 'string', description: 'provisioner indicates the type of the provisioner.' },
      { name: 'ReclaimPolicy', type: 'string', description: 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class.' },
      { name: 'VolumeBindingMode', type: 'string', description: 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.' },
      { name: 'AllowVolumeExpansion', type: 'string', description: 'allowVolumeExpansion shows whether the storage class allow volume expand.' },
      ageCol,
    ],
    row: (c, now) => [isDefaultStorageClass(c) ? `${c.metadata.name} (default)` : c.metadata.name, c.provisioner ?? '', c.reclaimPolicy ?? 'Delete', c.volumeBindingMode ?? 'Immediate', String(c.allowVolumeExpansion ?? false), age(c.metadata.creationTimestamp, now)],
  },
  Event: {
    columns: [
      { name: 'Last Seen', type: 'string', description: 'Time when this Event was last observed.' },
      { name: 'Type', type: 'string', description: 'Type of this event (Normal, Warning), new types could be added in the future.' },
      { name: 'Reason', type: 'string', description: 'This should be a short, machine understandable string that gives the reason for the transition into the object\'s current status.' },
      { name: 'Object', type: 'string', description: 'The object that this event is about.' },
      wide({ name: 'Subobject', type: 'string', description: 'The field path of the object this event is about.' }),
      wide({ name: 'Source', type: 'string', description: 'The component reporting this event.' }),
      { name: 'Message', type: 'string', description: 'A human-readable description of the status of this operation.' },
      wide({ name: 'First Seen', type: 'string', description: 'The time at which the event was first recorded.' }),
      wide({ name: 'Count', type: 'string', description: 'The number of times this event has occurred.' }),
      wide({ name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.' }),
    ],
    row(x, now) {
      // events.k8s.io/v1 Events print as the core/v1 Events they are stored as.
      const e: Any = x.apiVersion === 'events.k8s.io/v1' ? eventToCore(x) : x;
      const last = e.lastTimestamp || e.eventTime || e.metadata.creationTimestamp;
      const first = e.firstTimestamp || e.eventTime || e.metadata.creationTimestamp;
      const obj = `${(e.involvedObject?.kind ?? '').toLowerCase()}/${e.involvedObject?.name ?? ''}`;
      const src = e.source?.component ? (e.source.host ? `${e.source.component}, ${e.source.host}` : e.source.component) : e.reportingComponent ?? '';
      return [age(last, now), e.type ?? '', e.reason ?? '', obj, e.involvedObject?.fieldPath ?? '', src, (e.message ?? '').trim(), age(first, now), String(e.count ?? 1), e.metadata.name];
    },
  },
  ConfigMap: {
    columns: [name, { name: 'Data', type: 'string', description: 'Data contains the configuration data.' }, ageCol],
    row: (c, now) => [c.metadata.name, Object.keys(c.data ?? {}).length + Object.keys(c.binaryData ?? {}).length, age(c.metadata.creationTimestamp, now)],
  },
  Secret: {
    columns: [name, { name: 'Type', type: 'string', description: 'Used to facilitate programmatic handling of secret data.' }, { name: 'Data', type: 'string', description: 'Data contains the secret data.' }, ageCol],
    row: (s, now) => [s.metadata.name, s.type ?? 'Opaque', Object.keys(s.data ?? {}).length, age(s.metadata.creationTimestamp, now)],
  },
  ServiceAccount: {
    columns: [name, { name: 'Secrets', type: 'string', description: 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.' }, ageCol],
    row: (s, now) => [s.metadata.name, (s.secrets ?? []).length, age(s.metadata.creationTimestamp, now)],
  },
  // Roles and ClusterRoles have no printer of their own in kube-apiserver: they print NAME and CREATED AT (the fallback).
  RoleBinding: bindingPrinter('roleBinding', 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.'),
  ClusterRoleBinding: bindingPrinter('clusterRoleBinding', 'RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the Authorizer must return an error. This field is immutable.'),
  CertificateSigningRequest: {
    columns: [
      name,
      ageCol,
      { name: 'SignerName', type: 'string', description: 'Requested signer for the request, a qualified name.' },
      { name: 'Requestor', type: 'string', description: 'Name of the user that created the request, set by the API server.' },
      { name: 'RequestedDuration', type: 'string', description: 'Requested duration of validity of the issued certificate.' },
      { name: 'Condition', type: 'string', description: 'Conditions applied to the request: Approved, Denied, Failed, and whether a certificate was issued.' },
    ],
    row(c, now) {
      const seconds = c.spec?.expirationSeconds;
      return [c.metadata.name, age(c.metadata.creationTimestamp, now), c.spec?.signerName || '<none>', c.spec?.username ?? '', typeof seconds === 'number' ? humanDuration(seconds * 1000) : '<none>', csrCondition(c)];
    },
  },
};

const fallback: Printer = {
  columns: [name, { name: 'Created At', type: 'date', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' }],
  row: (o) => [o.metadata.name, o.metadata.creationTimestamp],
};

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: Column[];
  rows: { cells: unknown[]; object: unknown }[];
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** The Table of objects of a kind: its own printer (custom resources' columns), else the one for its kind. */
export function toTable(kind: { kind: string; printer?: Printer }, objects: KubeObject[], include: IncludeObject, listMeta: Table['metadata'], withColumns = true): Table {
  const p = kind.printer ?? (Object.hasOwn(printers, kind.kind) ? printers[kind.kind] : fallback);
  const now = Date.now();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: withColumns ? p.columns.map((c) => ({ priority: 0, ...c, format: c.format ?? '' })) : [],
    rows: objects.map((o) => ({
      cells: p.row(o, now),
      object:
        include === 'Object'
          ? o
          : include === 'None'
            ? null
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}

/**
 * Name, then each column a CustomResourceDefinition declares (additionalPrinterColumns; kube's customresource
 * tableconvertor): the first value the JSONPath finds, as the column's type — a date as its age — or nothing (kubectl
 * prints <none>) when it finds none of that type.
 */
export function columnsPrinter(declared: CustomResourceColumnDefinition[]): Printer {
  const paths = declared.map((c) => parseJSONPath(c.jsonPath));
  return {
    columns: [name, ...declared.map((c) => ({ name: c.name, type: c.type as Column['type'], format: c.format ?? '', description: c.description || `Custom resource definition column (in JSONPath format): ${c.jsonPath}`, priority: c.priority ?? 0 }))],
    row: (o, now) => [
      o.metadata?.name,
      ...declared.map((c, i) => {
        const value = paths[i] ? findJSONPath(o, paths[i]!)[0] : undefined;
        return cell(c.type, value, now);
      }),
    ],
  };
}

function cell(type: string, v: unknown, now: number): unknown {
  if (v === undefined || v === null) return null;
  switch (type) {
    case 'integer':
      return typeof v === 'number' ? Math.trunc(v) : null;
    case 'number':
      return typeof v === 'number' ? v : null;
    case 'boolean':
      return typeof v === 'boolean' ? v : null;
    case 'date':
      return typeof v === 'string' ? (Number.isNaN(Date.parse(v)) ? '<invalid>' : age(v, now)) : null;
    default:
      return typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
}
