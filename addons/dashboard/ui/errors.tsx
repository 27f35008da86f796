// Errors as messages, never a blank page: an API failure is an Alert with the Status's message (403 titled
// Forbidden), and an error boundary turns a render error into a message with a way back.
import { Component, type ReactNode } from 'react';
import Alert from '@mui/material/Alert';
import AlertTitle from '@mui/material/AlertTitle';
import Button from '@mui/material/Button';
import { ApiError } from './api';

const titles: Record<number, string> = { 0: 'The dashboard did not answer', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not found', 409: 'Conflict', 410: 'Gone', 422: 'Invalid', 502: 'The API server did not answer', 503: 'Unavailable' };

export function errorTitle(e: unknown): string {
  if (e instanceof ApiError) return titles[e.code] ?? `Error ${e.code}`;
  return 'Error';
}

export function ErrorAlert({ error, onClose }: { error?: unknown; onClose?: () => void }) {
  if (!error) return null;
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <Alert severity={code === 403 || code === 401 ? 'warning' : 'error'} onClose={onClose} data-testid="api-error" data-code={code} sx={{ my: 1 }}>
      <AlertTitle>{errorTitle(error)}</AlertTitle>
      {(error as Error).message}
    </Alert>
  );
}

export class ErrorBoundary extends Component<{ children: ReactNode }, { error?: Error }> {
  override state: { error?: Error } = {};

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <Alert severity="error" data-testid="render-error" sx={{ m: 2 }} action={<Button color="inherit" onClick={() => this.setState({ error: undefined })}>Try again</Button>}>
        <AlertTitle>This page failed to render</AlertTitle>
        {this.state.error.message}
      </Alert>
    );
  }
}
