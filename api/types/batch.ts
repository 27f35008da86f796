// batch/v1 kinds: Jobs and CronJobs. Only the fields kubets uses are typed; objects travel as plain JSON,
// so unknown fields pass through untouched.
import type { ObjectMeta, KubeObject, LabelSelector } from './meta.js';
import type { Condition, PodTemplateSpec } from './core.js';

export interface JobSpec {
  parallelism?: number;
  completions?: number | null;
  backoffLimit?: number;
  activeDeadlineSeconds?: number;
  ttlSecondsAfterFinished?: number;
  suspend?: boolean;
  completionMode?: 'NonIndexed' | 'Indexed';
  selector?: LabelSelector;
  template: PodTemplateSpec;
}
export interface JobStatus {
  active?: number;
  ready?: number;
  terminating?: number;
  succeeded?: number;
  failed?: number;
  startTime?: string;
  completionTime?: string;
  completedIndexes?: string;
  conditions?: Condition[];
  uncountedTerminatedPods?: Record<string, string[]>;
}
export interface Job extends KubeObject {
  spec: JobSpec;
  status?: JobStatus;
}

export interface ObjectReference {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid: string;
  resourceVersion?: string;
}

export interface CronJob extends KubeObject {
  spec: {
    schedule: string;
    timeZone?: string;
    startingDeadlineSeconds?: number;
    concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace';
    suspend?: boolean;
    jobTemplate: { metadata?: ObjectMeta; spec: JobSpec };
    successfulJobsHistoryLimit?: number;
    failedJobsHistoryLimit?: number;
  };
  status?: { active?: ObjectReference[]; lastScheduleTime?: string; lastSuccessfulTime?: string };
}
