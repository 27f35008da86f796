// The Dashboard's browser entry: React renders the app into #root with MUI's theme and baseline styles; esbuild
// bundles this file and everything it imports into app.js, which the dashboard server serves.
import { createRoot } from 'react-dom/client';
import CssBaseline from '@mui/material/CssBaseline';
import { createTheme, ThemeProvider } from '@mui/material/styles';
import { App } from './app';
import { ErrorBoundary } from './errors';

const theme = createTheme({ palette: { primary: { main: '#326ce5' } } });

createRoot(document.getElementById('root')!).render(
  <ThemeProvider theme={theme}>
    <CssBaseline />
    <ErrorBoundary>
      <App />
    </ErrorBoundary>
  </ThemeProvider>,
);
