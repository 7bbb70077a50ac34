// Workflow code that differs from this checkout's without changing what a watch does: bundled as an
// extra interceptor, it gives a second build ID for the upgrade test.
import type { WorkflowInterceptorsFactory } from '@temporalio/workflow';

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [] });
