// The shape of a kind's table columns (meta.k8s.io/v1 TableColumnDefinition) and of the printer that fills them: on
// its own so a kind's definition can carry a printer without importing every printer.
type Any = any;

export interface Column {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string;
  description: string;
  priority?: number;
}

/** A kind's columns and how an object fills them. */
export interface Printer {
  columns: Column[];
  row(obj: Any, now: number): unknown[];
}
