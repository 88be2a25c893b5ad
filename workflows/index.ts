// Entry point the worker bundles: every workflow type the task queue serves.
export { billingGrace } from './billing-grace';
export { meetingLifecycle } from './meeting-lifecycle';
export { postCallAnalysis } from './post-call-analysis';
export { proposal } from './proposal';
