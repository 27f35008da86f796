// The app's frame: the login gate, the top bar (namespace selector, who is logged in, log out), the navigation and
// the page for the current route, each page inside an error boundary so a failing one leaves the frame standing.
import { useEffect, useState } from 'react';
import AppBar from '@mui/material/AppBar';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Drawer from '@mui/material/Drawer';
import List from '@mui/material/List';
import ListItemButton from '@mui/material/ListItemButton';
import ListItemText from '@mui/material/ListItemText';
import MenuItem from '@mui/material/MenuItem';
import TextField from '@mui/material/TextField';
import Toolbar from '@mui/material/Toolbar';
import Typography from '@mui/material/Typography';
import { R, session, type KubeObject } from './api';
import { ErrorBoundary } from './errors';
import { Login } from './login';
import { LogSearch } from './logsearch';
import { ObjectPage } from './object';
import { Overview } from './overview';
import { useRoute, type Route } from './routes';
import { Events, Pods, Services, Workloads } from './tables';
import { useWatchList } from './watch';

const USER_KEY = 'kubets-dashboard-user';
const NS_KEY = 'kubets-dashboard-namespace';
const ALL = '*';
const DRAWER = 200;

const pages: [Route['page'], string][] = [
  ['overview', 'Overview'],
  ['workloads', 'Workloads'],
  ['pods', 'Pods'],
  ['services', 'Services'],
  ['events', 'Events'],
  ['logs', 'Log search'],
];

function NamespaceSelect({ value, onChange }: { value: string; onChange: (ns: string) => void }) {
  const { items } = useWatchList<KubeObject>(R.namespaces, '');
  const names = items.map((n) => n.metadata.name).sort();
  if (value !== ALL && !names.includes(value)) names.unshift(value);
  return (
    <TextField select size="small" label="Namespace" value={value} onChange={(e) => onChange(e.target.value)} sx={{ minWidth: 200, bgcolor: 'background.paper', borderRadius: 1 }} slotProps={{ select: { SelectDisplayProps: { 'data-testid': 'namespace' } as object } }}>
      <MenuItem value={ALL}>All namespaces</MenuItem>
      {names.map((n) => <MenuItem key={n} value={n} data-testid={`namespace-${n}`}>{n}</MenuItem>)}
    </TextField>
  );
}

function Page({ route, namespace }: { route: Route; namespace: string }) {
  switch (route.page) {
    case 'overview': return <Overview />;
    case 'workloads': return <Workloads namespace={namespace} />;
    case 'pods': return <Pods namespace={namespace} />;
    case 'services': return <Services namespace={namespace} />;
    case 'events': return <Events namespace={namespace} />;
    case 'logs': return <LogSearch namespace={namespace} />;
    case 'object': return <ObjectPage {...route} />;
  }
}

export function App() {
  const [user, setUser] = useState<string | null>(() => (session.token() ? sessionStorage.getItem(USER_KEY) : null));
  const [ns, setNs] = useState(() => sessionStorage.getItem(NS_KEY) ?? 'default');
  const route = useRoute();
  useEffect(() => {
    sessionStorage.setItem(NS_KEY, ns);
  }, [ns]);
  if (!user) {
    return <Login onLogin={(u) => { sessionStorage.setItem(USER_KEY, u); setUser(u); }} />;
  }
  const logout = () => {
    session.clear();
    sessionStorage.removeItem(USER_KEY);
    setUser(null);
  };
  return (
    <Box sx={{ display: 'flex' }}>
      <AppBar position="fixed" sx={{ zIndex: (t) => t.zIndex.drawer + 1 }}>
        <Toolbar sx={{ gap: 2 }}>
          <Typography variant="h6" sx={{ flex: 1 }}>kubets Dashboard</Typography>
          <NamespaceSelect value={ns} onChange={setNs} />
          <Typography data-testid="user">{user}</Typography>
          <Button color="inherit" onClick={logout} data-testid="logout">Log out</Button>
        </Toolbar>
      </AppBar>
      <Drawer variant="permanent" sx={{ width: DRAWER, flexShrink: 0, '& .MuiDrawer-paper': { width: DRAWER, boxSizing: 'border-box' } }}>
        <Toolbar />
        <List>
          {pages.map(([p, label]) => (
            <ListItemButton key={p} component="a" href={`#/${p}`} selected={route.page === p} data-testid={`nav-${p}`}>
              <ListItemText primary={label} />
            </ListItemButton>
          ))}
        </List>
      </Drawer>
      <Box component="main" sx={{ flex: 1, p: 3, minWidth: 0 }}>
        <Toolbar />
        <ErrorBoundary key={JSON.stringify(route) + ns}>
          <Page route={route} namespace={ns === ALL ? '' : ns} />
        </ErrorBoundary>
      </Box>
    </Box>
  );
}
