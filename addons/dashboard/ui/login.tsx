// The login page (kubernetes/dashboard's token login): a bearer token pasted from `kubectl create token NAME`, checked
// against the API (who it belongs to) before it is kept in sessionStorage for this tab.
import { useState } from 'react';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Paper from '@mui/material/Paper';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { session, whoAmI } from './api';
import { ErrorAlert } from './errors';

export function Login({ onLogin }: { onLogin: (user: string) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const t = token.trim();
      const user = await whoAmI(t);
      session.set(t);
      onLogin(user);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Box sx={{ display: 'flex', justifyContent: 'center', mt: 10 }}>
      <Paper sx={{ p: 4, width: 560 }} component="form" onSubmit={(e) => { e.preventDefault(); void submit(); }}>
        <Typography variant="h5" gutterBottom>kubets Dashboard</Typography>
        <Typography variant="body2" color="text.secondary" gutterBottom>
          Log in with a bearer token, e.g. from <code>kubectl -n NAMESPACE create token SERVICEACCOUNT</code>. The dashboard acts as that user: what you may do is what RBAC lets the token do.
        </Typography>
        <TextField label="Bearer token" value={token} onChange={(e) => setToken(e.target.value)} fullWidth multiline minRows={3} margin="normal" slotProps={{ htmlInput: { 'data-testid': 'token' } }} />
        <ErrorAlert error={error} />
        <Button type="submit" variant="contained" disabled={!token.trim() || busy} data-testid="login">Log in</Button>
      </Paper>
    </Box>
  );
}
