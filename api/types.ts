// The Kubernetes object shapes kubets components read and write, one file per API group under types/.
export * from './types/meta.js';
export * from './types/core.js';
export * from './types/apps.js';
export * from './types/batch.js';
export * from './types/discovery.js';
export * from './types/coordination.js';
export * from './types/rbac.js';
export * from './types/certificates.js';
export * from './types/networking.js';
export * from './types/apiextensions.js';
export * from './types/storage.js';
export * from './types/apiregistration.js';
export * from './types/autoscaling.js';
