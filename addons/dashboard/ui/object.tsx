// One object's page (kubernetes/dashboard's detail views): its live state, and the actions — scale through the /scale
// subresource, delete after a confirmation, YAML view and edit (PUT back with its resourceVersion, so a stale edit is
// a 409 shown as such), and for a pod its containers' logs followed live.
import { useEffect, useRef, useState } from 'react';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogContentText from '@mui/material/DialogContentText';
import DialogTitle from '@mui/material/DialogTitle';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Tab from '@mui/material/Tab';
import Tabs from '@mui/material/Tabs';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { ApiError, getJSON, lines, request, resourceByPlural, resourcePath, type KubeObject, type ResourceType } from './api';
import { ErrorAlert } from './errors';
import { podStatus } from './tables';
import { useWatchObject } from './watch';

export function ObjectPage({ group, plural, namespace, name }: { group: string; plural: string; namespace: string; name: string }) {
  const type = resourceByPlural(group, plural);
  if (!type) return <ErrorAlert error={new ApiError(404, 'NotFound', `the dashboard has no page for ${plural}${group ? `.${group}` : ''}`)} />;
  return <ObjectView type={type} namespace={namespace} name={name} />;
}

function ObjectView({ type, namespace, name }: { type: ResourceType; namespace: string; name: string }) {
  const { object, error, loaded } = useWatchObject<KubeObject>(type, namespace, name);
  const [tab, setTab] = useState('summary');
  const [actionError, setActionError] = useState<unknown>();
  const [deleted, setDeleted] = useState(false);
  const isPod = type.plural === 'pods' && !type.group;
  return (
    <Box>
      <Stack direction="row" spacing={2} alignItems="center" sx={{ mb: 1 }}>
        <Typography variant="h5" data-testid="object-title">{type.kind} {namespace ? `${namespace}/` : ''}{name}</Typography>
        <Box sx={{ flex: 1 }} />
        {type.scalable && <ScaleButton type={type} namespace={namespace} name={name} current={object?.spec?.replicas} onError={setActionError} />}
        <DeleteButton type={type} namespace={namespace} name={name} onError={setActionError} onDeleted={() => setDeleted(true)} />
      </Stack>
      <ErrorAlert error={actionError} onClose={() => setActionError(undefined)} />
      <ErrorAlert error={error} />
      {deleted && <Typography color="text.secondary" data-testid="deleted">Deletion requested.</Typography>}
      {loaded && !object && !error && <ErrorAlert error={new ApiError(404, 'NotFound', `${type.plural} "${name}" not found`)} />}
      <Tabs value={tab} onChange={(_e, v: string) => setTab(v)} sx={{ mb: 2 }}>
        <Tab value="summary" label="Summary" data-testid="tab-summary" />
        <Tab value="yaml" label="YAML" data-testid="tab-yaml" />
        {isPod && <Tab value="logs" label="Logs" data-testid="tab-logs" />}
      </Tabs>
      {tab === 'summary' && object && <Summary type={type} object={object} />}
      {tab === 'yaml' && <YamlEditor type={type} namespace={namespace} name={name} />}
      {tab === 'logs' && isPod && object && <PodLogs namespace={namespace} name={name} containers={(object.spec?.containers ?? []).map((c: { name: string }) => c.name)} />}
    </Box>
  );
}

function Summary({ type, object }: { type: ResourceType; object: KubeObject }) {
  const rows: [string, string][] = [
    ['Created', object.metadata.creationTimestamp ?? ''],
    ['Labels', Object.entries(object.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(', ')],
  ];
  if (type.scalable) rows.push(['Replicas', `${object.spec?.replicas ?? 0} desired, ${object.status?.readyReplicas ?? 0} ready`]);
  if (type.plural === 'pods') rows.push(['Status', podStatus(object)], ['Node', object.spec?.nodeName ?? ''], ['IP', object.status?.podIP ?? '']);
  return (
    <Paper sx={{ p: 2 }}>
      {rows.map(([k, v]) => (
        <Stack direction="row" key={k} spacing={2} sx={{ py: 0.5 }}>
          <Typography sx={{ width: 120 }} color="text.secondary">{k}</Typography>
          <Typography data-testid={`summary-${k.toLowerCase()}`}>{v}</Typography>
        </Stack>
      ))}
    </Paper>
  );
}

function ScaleButton({ type, namespace, name, current, onError }: { type: ResourceType; namespace: string; name: string; current?: number; onError: (e: unknown) => void }) {
  const [open, setOpen] = useState(false);
  const [replicas, setReplicas] = useState('');
  const submit = async () => {
    setOpen(false);
    try {
      const path = resourcePath(type, namespace, name, 'scale');
      const scale = await getJSON<KubeObject>(path);
      await request(path, { method: 'PUT', body: { ...scale, spec: { ...scale.spec, replicas: Number(replicas) } } });
      onError(undefined);
    } catch (e) {
      onError(e);
    }
  };
  return (
    <>
      <Button variant="outlined" onClick={() => { setReplicas(String(current ?? 0)); setOpen(true); }} data-testid="scale">Scale</Button>
      <Dialog open={open} onClose={() => setOpen(false)}>
        <DialogTitle>Scale {type.kind} {name}</DialogTitle>
        <DialogContent>
          <TextField autoFocus type="number" label="Replicas" value={replicas} onChange={(e) => setReplicas(e.target.value)} margin="dense" slotProps={{ htmlInput: { min: 0, 'data-testid': 'replicas' } }} />
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)}>Cancel</Button>
          <Button variant="contained" onClick={() => void submit()} disabled={!/^\d+$/.test(replicas)} data-testid="scale-confirm">Scale</Button>
        </DialogActions>
      </Dialog>
    </>
  );
}

function DeleteButton({ type, namespace, name, onError, onDeleted }: { type: ResourceType; namespace: string; name: string; onError: (e: unknown) => void; onDeleted: () => void }) {
  const [open, setOpen] = useState(false);
  const submit = async () => {
    setOpen(false);
    try {
      await request(resourcePath(type, namespace, name), { method: 'DELETE', body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' } });
      onError(undefined);
      onDeleted();
    } catch (e) {
      onError(e);
    }
  };
  return (
    <>
      <Button variant="outlined" color="error" onClick={() => setOpen(true)} data-testid="delete">Delete</Button>
      <Dialog open={open} onClose={() => setOpen(false)}>
        <DialogTitle>Delete {type.kind}?</DialogTitle>
        <DialogContent>
          <DialogContentText>{type.kind} {namespace ? `${namespace}/` : ''}{name} will be deleted. This cannot be undone.</DialogContentText>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)}>Cancel</Button>
          <Button variant="contained" color="error" onClick={() => void submit()} data-testid="delete-confirm">Delete</Button>
        </DialogActions>
      </Dialog>
    </>
  );
}

/** The object as YAML, without managedFields (the API server keeps them when an update leaves them out). */
function YamlEditor({ type, namespace, name }: { type: ResourceType; namespace: string; name: string }) {
  const [text, setText] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  const path = resourcePath(type, namespace, name);
  const load = async () => {
    setError(undefined);
    setSaved(false);
    try {
      const o = await getJSON<KubeObject>(path);
      delete o.metadata.managedFields;
      setText(toYaml(o));
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    void load();
  }, [path]);
  const save = async () => {
    setError(undefined);
    setSaved(false);
    let body: unknown;
    try {
      body = parseYaml(text ?? '');
    } catch (e) {
      return setError(new ApiError(400, 'BadRequest', `not valid YAML: ${(e as Error).message}`));
    }
    try {
      const updated = await getJSON<KubeObject>(path, { method: 'PUT', body });
      delete updated.metadata.managedFields;
      setText(toYaml(updated));
      setSaved(true);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Paper sx={{ p: 2 }}>
      <ErrorAlert error={error} />
      {saved && <Typography color="success.main" data-testid="yaml-saved">Saved.</Typography>}
      <TextField value={text ?? ''} onChange={(e) => setText(e.target.value)} multiline fullWidth minRows={20} slotProps={{ htmlInput: { 'data-testid': 'yaml', spellCheck: false, style: { fontFamily: 'monospace', fontSize: 13 } } }} />
      <Stack direction="row" spacing={1} sx={{ mt: 1 }}>
        <Button variant="contained" onClick={() => void save()} disabled={text === undefined} data-testid="yaml-save">Save</Button>
        <Button onClick={() => void load()} data-testid="yaml-reload">Reload</Button>
      </Stack>
    </Paper>
  );
}

/** Most lines kept on the page; older ones drop off the top. */
const MAX_LOG_LINES = 5000;

function PodLogs({ namespace, name, containers }: { namespace: string; name: string; containers: string[] }) {
  const [container, setContainer] = useState(containers[0] ?? '');
  const [text, setText] = useState<string[]>([]);
  const [error, setError] = useState<unknown>();
  const [streaming, setStreaming] = useState(false);
  const bottom = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!container) return;
    const abort = new AbortController();
    setText([]);
    setError(undefined);
    (async () => {
      const q = new URLSearchParams({ follow: 'true', container, tailLines: '500', timestamps: 'false' });
      const res = await request(`/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/log?${q}`, { signal: abort.signal });
      setStreaming(true);
      for await (const line of lines(res, abort.signal)) setText((t) => (t.length >= MAX_LOG_LINES ? [...t.slice(t.length - MAX_LOG_LINES + 1), line] : [...t, line]));
    })()
      .catch((e) => abort.signal.aborted || setError(e))
      .finally(() => abort.signal.aborted || setStreaming(false));
    return () => abort.abort();
  }, [namespace, name, container]);
  useEffect(() => {
    // Newer browsers return a promise from scrollIntoView: an effect must return nothing or its cleanup.
    void bottom.current?.scrollIntoView({ block: 'end' });
  }, [text]);
  return (
    <Paper sx={{ p: 2 }}>
      <Stack direction="row" spacing={2} alignItems="center" sx={{ mb: 1 }}>
        <TextField select size="small" label="Container" value={container} onChange={(e) => setContainer(e.target.value)} sx={{ minWidth: 200 }}>
          {containers.map((c) => <MenuItem key={c} value={c}>{c}</MenuItem>)}
        </TextField>
        <Typography variant="body2" color="text.secondary" data-testid="log-state">{streaming ? 'following' : 'stopped'}</Typography>
      </Stack>
      <ErrorAlert error={error} />
      <Box component="pre" data-testid="logs" sx={{ m: 0, p: 1, bgcolor: 'grey.900', color: 'grey.100', maxHeight: 600, overflow: 'auto', fontSize: 12, whiteSpace: 'pre-wrap' }}>
        {text.join('\n')}
        <div ref={bottom} />
      </Box>
    </Paper>
  );
}
