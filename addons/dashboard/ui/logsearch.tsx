// The log search page: the cluster-logs store's /search (full text, namespace, pod, container, since) reached through
// the API server's services proxy as the logged-in user, its JSON lines shown as a table. A 400 from the store (a bad
// query) or a 403/503 from the proxy is shown with its reason.
import { useState } from 'react';
import Button from '@mui/material/Button';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { request } from './api';
import { ErrorAlert } from './errors';

export const LOG_SEARCH_PATH = '/api/v1/namespaces/kube-system/services/cluster-logs:80/proxy/search';

interface FoundLine {
  time: string;
  namespace: string;
  pod: string;
  container: string;
  node: string;
  stream: string;
  line: string;
}

export function LogSearch({ namespace }: { namespace: string }) {
  const [q, setQ] = useState('');
  const [pod, setPod] = useState('');
  const [since, setSince] = useState('1h');
  const [found, setFound] = useState<FoundLine[]>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const search = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const params = new URLSearchParams();
      if (q.trim()) params.set('q', q.trim());
      if (namespace) params.set('namespace', namespace);
      if (pod.trim()) params.set('pod', pod.trim());
      if (since.trim()) params.set('since', since.trim());
      params.set('limit', '500');
      const text = await (await request(`${LOG_SEARCH_PATH}?${params}`, { })).text();
      setFound(text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as FoundLine));
    } catch (e) {
      setError(e);
      setFound(undefined);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Paper sx={{ p: 2 }}>
      <Typography variant="h6" gutterBottom>Log search{namespace ? ` in ${namespace}` : ''}</Typography>
      <Stack direction="row" spacing={2} component="form" onSubmit={(e) => { e.preventDefault(); void search(); }} sx={{ mb: 2 }}>
        <TextField size="small" label="Text" value={q} onChange={(e) => setQ(e.target.value)} slotProps={{ htmlInput: { 'data-testid': 'search-q' } }} sx={{ flex: 1 }} />
        <TextField size="small" label="Pod" value={pod} onChange={(e) => setPod(e.target.value)} slotProps={{ htmlInput: { 'data-testid': 'search-pod' } }} />
        <TextField size="small" label="Since" value={since} onChange={(e) => setSince(e.target.value)} helperText="e.g. 15m, 24h" slotProps={{ htmlInput: { 'data-testid': 'search-since' } }} />
        <Button type="submit" variant="contained" disabled={busy} data-testid="search">Search</Button>
      </Stack>
      <ErrorAlert error={error} />
      {found && <Typography variant="body2" color="text.secondary" data-testid="search-count">{found.length} line(s)</Typography>}
      {found && found.length > 0 && (
        <Table size="small" data-testid="search-results">
          <TableHead>
            <TableRow>{['Time', 'Pod', 'Container', 'Node', 'Line'].map((h) => <TableCell key={h}>{h}</TableCell>)}</TableRow>
          </TableHead>
          <TableBody>
            {found.map((l, i) => (
              <TableRow key={i}>
                <TableCell sx={{ whiteSpace: 'nowrap' }}>{l.time}</TableCell>
                <TableCell>{l.namespace}/{l.pod}</TableCell>
                <TableCell>{l.container}</TableCell>
                <TableCell>{l.node}</TableCell>
                <TableCell sx={{ fontFamily: 'monospace', whiteSpace: 'pre-wrap', color: l.stream === 'stderr' ? 'error.main' : undefined }}>{l.line}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Paper>
  );
}
