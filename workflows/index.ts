// Entry point the worker bundles: every workflow type the task queue serves.
export { accountDeletion } from './account-deletion';
export { billingGrace } from './billing-grace';
export { dataExport } from './data-export';
export { eSignature } from './e-signature';
export { campaign } from './campaign';
export { meetingLifecycle } from './meeting-lifecycle';
export { postCallAnalysis } from './post-call-analysis';
export { proposal } from './proposal';
export { retentionSweep } from './retention-sweep';
