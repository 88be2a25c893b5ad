// Entry point the worker bundles: every workflow type the task queue serves.
export { meetingLifecycle } from './meeting-lifecycle';
export { postCallAnalysis } from './post-call-analysis';
export { proposal } from './proposal';
