// ControllerRevisions in the store (kube: pkg/apis/apps/validation ValidateControllerRevision): a revision's data is
// an immutable snapshot numbered by `revision` (what `kubectl rollout history|undo` reads for DaemonSets and
// StatefulSets).
import type { KubeObject, StatusCause } from '../../../../api/types.js';
import { strategy, type Strategy } from '../strategy.js';
import { invalidGo, invalidValue, required } from '../validation.js';

type Any = any;

export function validateControllerRevision(obj: KubeObject, old?: KubeObject): StatusCause[] {
  const r = obj as Any;
  const out: StatusCause[] = [];
  if (r.data === undefined || r.data === null) out.push(required('data'));
  if (typeof r.revision !== 'number' || !Number.isInteger(r.revision)) out.push(required('revision'));
  else if (r.revision < 0) out.push(invalidGo('revision', String(r.revision), 'must be non-negative'));
  if (old && JSON.stringify(r.data) !== JSON.stringify((old as Any).data)) out.push(invalidValue('data', '', 'field is immutable'));
  return out;
}

export const controllerRevisionStrategy: Strategy = strategy({ tracksGeneration: false, validate: validateControllerRevision });
