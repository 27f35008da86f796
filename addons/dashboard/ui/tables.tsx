// The list pages (kubernetes/dashboard's resource lists): Workloads (Deployments, ReplicaSets, DaemonSets,
// StatefulSets, Jobs with their status columns), Pods, Services with their endpoints, Events — each a live list.
import type { ReactNode } from 'react';
import Link from '@mui/material/Link';
import Paper from '@mui/material/Paper';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import Chip from '@mui/material/Chip';
import { age, R, type KubeObject, type ResourceType } from './api';
import { ErrorAlert } from './errors';
import { objectHref } from './routes';
import { useWatchList } from './watch';

export interface Column<T> {
  header: string;
  cell: (o: T) => ReactNode;
}

const nameColumn = (t: ResourceType): Column<KubeObject> => ({
  header: 'Name',
  cell: (o) => <Link href={objectHref(t, o.metadata.namespace, o.metadata.name)} data-testid={`link-${t.plural}-${o.metadata.name}`}>{o.metadata.name}</Link>,
});
const namespaceColumn: Column<KubeObject> = { header: 'Namespace', cell: (o) => o.metadata.namespace };
const ageColumn: Column<KubeObject> = { header: 'Age', cell: (o) => age(o.metadata.creationTimestamp) };

export function ResourceTable({ type, namespace, title, columns, sort, fieldSelector }: { type: ResourceType; namespace: string; title: string; columns: Column<KubeObject>[]; sort?: (a: KubeObject, b: KubeObject) => number; fieldSelector?: string }) {
  const { items, error, loaded } = useWatchList<KubeObject>(type, namespace, { fieldSelector });
  const cols = [nameColumn(type), ...(type.namespaced && !namespace ? [namespaceColumn] : []), ...columns, ageColumn];
  const rows = [...items].sort(sort ?? ((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`)));
  return (
    <Paper sx={{ mb: 3 }} data-testid={`table-${type.plural}`}>
      <Typography variant="h6" sx={{ px: 2, pt: 1.5 }}>{title}</Typography>
      <ErrorAlert error={error} />
      <TableContainer>
        <Table size="small">
          <TableHead>
            <TableRow>{cols.map((c) => <TableCell key={c.header}>{c.header}</TableCell>)}</TableRow>
          </TableHead>
          <TableBody>
            {rows.map((o) => (
              <TableRow key={o.metadata.uid ?? `${o.metadata.namespace}/${o.metadata.name}`} data-testid={`row-${type.plural}-${o.metadata.name}`}>
                {cols.map((c) => <TableCell key={c.header}>{c.cell(o)}</TableCell>)}
              </TableRow>
            ))}
            {loaded && !rows.length && !error && (
              <TableRow><TableCell colSpan={cols.length}><Typography variant="body2" color="text.secondary">None</Typography></TableCell></TableRow>
            )}
          </TableBody>
        </Table>
      </TableContainer>
    </Paper>
  );
}

const n = (v: unknown) => (typeof v === 'number' ? v : 0);

export function Workloads({ namespace }: { namespace: string }) {
  return (
    <>
      <ResourceTable type={R.deployments} namespace={namespace} title="Deployments" columns={[
        { header: 'Ready', cell: (o) => <span data-testid={`ready-${o.metadata.name}`}>{`${n(o.status?.readyReplicas)}/${n(o.spec?.replicas)}`}</span> },
        { header: 'Up-to-date', cell: (o) => n(o.status?.updatedReplicas) },
        { header: 'Available', cell: (o) => n(o.status?.availableReplicas) },
      ]} />
      <ResourceTable type={R.replicasets} namespace={namespace} title="ReplicaSets" columns={[
        { header: 'Desired', cell: (o) => n(o.spec?.replicas) },
        { header: 'Current', cell: (o) => n(o.status?.replicas) },
        { header: 'Ready', cell: (o) => n(o.status?.readyReplicas) },
      ]} />
      <ResourceTable type={R.daemonsets} namespace={namespace} title="DaemonSets" columns={[
        { header: 'Desired', cell: (o) => n(o.status?.desiredNumberScheduled) },
        { header: 'Current', cell: (o) => n(o.status?.currentNumberScheduled) },
        { header: 'Ready', cell: (o) => n(o.status?.numberReady) },
        { header: 'Up-to-date', cell: (o) => n(o.status?.updatedNumberScheduled) },
        { header: 'Available', cell: (o) => n(o.status?.numberAvailable) },
      ]} />
      <ResourceTable type={R.statefulsets} namespace={namespace} title="StatefulSets" columns={[
        { header: 'Ready', cell: (o) => `${n(o.status?.readyReplicas)}/${n(o.spec?.replicas)}` },
      ]} />
      <ResourceTable type={R.jobs} namespace={namespace} title="Jobs" columns={[
        { header: 'Status', cell: (o) => jobStatus(o) },
        { header: 'Completions', cell: (o) => `${n(o.status?.succeeded)}/${o.spec?.completions ?? 1}` },
        { header: 'Duration', cell: (o) => (o.status?.startTime ? duration(o.status.startTime, o.status.completionTime) : '') },
      ]} />
    </>
  );
}

function jobStatus(o: KubeObject): string {
  const c = (o.status?.conditions ?? []) as { type: string; status: string }[];
  if (c.some((x) => x.type === 'Complete' && x.status === 'True')) return 'Complete';
  if (c.some((x) => x.type === 'Failed' && x.status === 'True')) return 'Failed';
  return n(o.status?.active) ? 'Running' : 'Pending';
}

function duration(start: string, end?: string): string {
  const s = Math.round(((end ? Date.parse(end) : Date.now()) - Date.parse(start)) / 1000);
  return s < 120 ? `${s}s` : `${Math.round(s / 60)}m`;
}

/** kubectl's STATUS column, roughly: a waiting or terminated reason wins over the phase. */
export function podStatus(o: KubeObject): string {
  if (o.metadata.deletionTimestamp) return 'Terminating';
  for (const cs of (o.status?.containerStatuses ?? []) as any[]) {
    if (cs.state?.waiting?.reason) return cs.state.waiting.reason;
    if (cs.state?.terminated?.reason && o.status?.phase === 'Running') return cs.state.terminated.reason;
  }
  return o.status?.phase ?? 'Unknown';
}

const phaseColor = (s: string) => (s === 'Running' || s === 'Succeeded' ? 'success' : s === 'Pending' || s === 'ContainerCreating' || s === 'Terminating' ? 'warning' : 'error');

export function Pods({ namespace }: { namespace: string }) {
  return (
    <ResourceTable type={R.pods} namespace={namespace} title="Pods" columns={[
      { header: 'Ready', cell: (o) => { const cs = (o.status?.containerStatuses ?? []) as any[]; return `${cs.filter((c) => c.ready).length}/${(o.spec?.containers ?? []).length}`; } },
      { header: 'Status', cell: (o) => { const s = podStatus(o); return <Chip size="small" label={s} color={phaseColor(s)} variant="outlined" />; } },
      { header: 'Restarts', cell: (o) => ((o.status?.containerStatuses ?? []) as any[]).reduce((a, c) => a + n(c.restartCount), 0) },
      { header: 'Node', cell: (o) => o.spec?.nodeName ?? '' },
      { header: 'IP', cell: (o) => o.status?.podIP ?? '' },
    ]} />
  );
}

export function Services({ namespace }: { namespace: string }) {
  const endpoints = useWatchList<KubeObject>(R.endpoints, namespace);
  const byService = new Map(endpoints.items.map((e) => [`${e.metadata.namespace}/${e.metadata.name}`, e]));
  const addresses = (svc: KubeObject) => {
    const ep = byService.get(`${svc.metadata.namespace}/${svc.metadata.name}`);
    const out: string[] = [];
    for (const s of (ep?.subsets ?? []) as any[]) for (const a of s.addresses ?? []) for (const p of s.ports ?? [{}]) out.push(p.port ? `${a.ip}:${p.port}` : a.ip);
    return out.length ? out.join(', ') : <Typography variant="body2" color="text.secondary">none ready</Typography>;
  };
  return (
    <>
      <ErrorAlert error={endpoints.error} />
      <ResourceTable type={R.services} namespace={namespace} title="Services" columns={[
        { header: 'Type', cell: (o) => o.spec?.type ?? 'ClusterIP' },
        { header: 'Cluster IP', cell: (o) => o.spec?.clusterIP ?? '' },
        { header: 'Ports', cell: (o) => ((o.spec?.ports ?? []) as any[]).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(', ') },
        { header: 'Endpoints', cell: addresses },
      ]} />
    </>
  );
}

const eventTime = (e: KubeObject) => Date.parse((e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp ?? '') as string) || 0;

export function Events({ namespace }: { namespace: string }) {
  return (
    <ResourceTable type={R.events} namespace={namespace} title="Events" sort={(a, b) => eventTime(b) - eventTime(a)} columns={[
      { header: 'Last seen', cell: (o) => age((o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp) as string) },
      { header: 'Type', cell: (o) => <Chip size="small" label={o.type ?? 'Normal'} color={o.type === 'Warning' ? 'warning' : 'default'} variant="outlined" /> },
      { header: 'Reason', cell: (o) => o.reason },
      { header: 'Object', cell: (o) => `${o.involvedObject?.kind ?? ''}/${o.involvedObject?.name ?? ''}` },
      { header: 'Message', cell: (o) => o.message },
      { header: 'Count', cell: (o) => o.count ?? 1 },
    ]} />
  );
}
