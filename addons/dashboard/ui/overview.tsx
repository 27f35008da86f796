// The cluster overview: nodes with their Ready condition and capacity (live from a watch), and CPU and memory per
// node over the last 30 minutes from Prometheus (namespace monitoring, Service prometheus:9090) through the API
// server's services proxy, refreshed every 30 s (Prometheus has no watch); if it is unreachable or forbidden, why.
import { useEffect, useState } from 'react';
import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { LineChart } from '@mui/x-charts/LineChart';
import { getJSON, R, type KubeObject } from './api';
import { ErrorAlert } from './errors';
import { ResourceTable } from './tables';

export const PROMETHEUS_PATH = '/api/v1/namespaces/monitoring/services/prometheus:9090/proxy';

/** Per node (the cadvisor job's instance label is the node name): the root cgroup's CPU cores and working set. */
const QUERIES = {
  cpu: 'sum by (instance) (rate(container_cpu_usage_seconds_total{job="kubernetes-cadvisor",id="/"}[2m]))',
  memory: 'sum by (instance) (container_memory_working_set_bytes{job="kubernetes-cadvisor",id="/"})',
};
const RANGE_S = 30 * 60;
const STEP_S = 30;
const REFRESH_MS = 30_000;

interface Series {
  times: Date[];
  lines: { label: string; data: (number | null)[] }[];
}

async function queryRange(query: string, signal: AbortSignal): Promise<Series> {
  const end = Math.floor(Date.now() / 1000);
  const start = end - RANGE_S;
  const q = new URLSearchParams({ query, start: String(start), end: String(end), step: String(STEP_S) });
  const r = await getJSON<{ status: string; error?: string; data: { result: { metric: Record<string, string>; values: [number, string][] }[] } }>(`${PROMETHEUS_PATH}/api/v1/query_range?${q}`, { signal });
  if (r.status !== 'success') throw new Error(r.error ?? 'Prometheus query failed');
  const times: number[] = [];
  for (let t = start; t <= end; t += STEP_S) times.push(t);
  const lines = r.data.result.map((s) => {
    const at = new Map(s.values.map(([t, v]) => [Math.round(t), Number(v)]));
    return { label: s.metric.instance ?? 'node', data: times.map((t) => at.get(t) ?? null) };
  });
  return { times: times.map((t) => new Date(t * 1000)), lines };
}

function useMetrics(): { cpu?: Series; memory?: Series; error?: unknown } {
  const [state, setState] = useState<{ cpu?: Series; memory?: Series; error?: unknown }>({});
  useEffect(() => {
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout>;
    const tick = async () => {
      try {
        const [cpu, memory] = await Promise.all([queryRange(QUERIES.cpu, abort.signal), queryRange(QUERIES.memory, abort.signal)]);
        setState({ cpu, memory });
      } catch (e) {
        if (!abort.signal.aborted) setState({ error: e });
      }
      if (!abort.signal.aborted) timer = setTimeout(() => void tick(), REFRESH_MS);
    };
    void tick();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, []);
  return state;
}

const time = (d: Date) => d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

function Chart({ title, series, format }: { title: string; series: Series; format: (v: number | null) => string }) {
  return (
    <Paper sx={{ p: 2, flex: 1, minWidth: 360 }} data-testid={`chart-${title}`}>
      <Typography variant="subtitle1">{title}</Typography>
      {series.lines.length ? (
        <LineChart
          height={260}
          xAxis={[{ data: series.times, scaleType: 'time', valueFormatter: time }]}
          yAxis={[{ width: 80, valueFormatter: (v: number) => format(v) }]}
          // A series of one or two samples (Prometheus just started) is too short to see as a line: marks show it.
          series={series.lines.map((l) => ({ data: l.data, label: l.label, showMark: l.data.filter((v) => v !== null).length < 3, valueFormatter: format, connectNulls: true }))}
        />
      ) : (
        <Typography variant="body2" color="text.secondary">No samples yet.</Typography>
      )}
    </Paper>
  );
}

const cores = (v: number | null) => (v === null ? '' : `${v.toFixed(2)} cores`);
const bytes = (v: number | null) => (v === null ? '' : v >= 2 ** 30 ? `${(v / 2 ** 30).toFixed(1)} GiB` : `${Math.round(v / 2 ** 20)} MiB`);

function readyOf(node: KubeObject): string {
  const c = ((node.status?.conditions ?? []) as { type: string; status: string }[]).find((x) => x.type === 'Ready');
  return c?.status === 'True' ? 'Ready' : c ? 'NotReady' : 'Unknown';
}

export function Overview() {
  const metrics = useMetrics();
  return (
    <Box>
      <ResourceTable type={R.nodes} namespace="" title="Nodes" columns={[
        { header: 'Status', cell: (o) => { const s = readyOf(o); return <Chip size="small" label={s + (o.spec?.unschedulable ? ',SchedulingDisabled' : '')} color={s === 'Ready' ? 'success' : 'error'} variant="outlined" data-testid={`node-status-${o.metadata.name}`} />; } },
        { header: 'Roles', cell: (o) => Object.keys(o.metadata.labels ?? {}).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.split('/')[1]).join(',') || '<none>' },
        { header: 'CPU', cell: (o) => o.status?.capacity?.cpu ?? '' },
        { header: 'Memory', cell: (o) => o.status?.capacity?.memory ?? '' },
        { header: 'Pods', cell: (o) => o.status?.capacity?.pods ?? '' },
        { header: 'Version', cell: (o) => o.status?.nodeInfo?.kubeletVersion ?? '' },
      ]} />
      <Typography variant="h6" sx={{ mb: 1 }}>Usage (Prometheus)</Typography>
      {metrics.error ? (
        <Box data-testid="metrics-unavailable">
          <ErrorAlert error={metrics.error} />
          <Typography variant="body2" color="text.secondary">The charts need Prometheus in namespace monitoring, reachable through the API server's services proxy with your token.</Typography>
        </Box>
      ) : (
        <Stack direction="row" spacing={2} flexWrap="wrap" useFlexGap>
          {metrics.cpu && <Chart title="CPU" series={metrics.cpu} format={cores} />}
          {metrics.memory && <Chart title="Memory" series={metrics.memory} format={bytes} />}
          {!metrics.cpu && <Typography variant="body2" color="text.secondary">Loading…</Typography>}
        </Stack>
      )}
    </Box>
  );
}
