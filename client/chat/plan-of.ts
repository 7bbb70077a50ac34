// The plan a watch was started with (its start input), read from its history's first event: who is on its
// roster and whether it signs. The latest run of the watch ID.
import type { Client } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import type { WatchInput } from '../../core/messages';
import type { Plan } from '../../plan/schema';

export function watchPlanReader(client: Client): (watchId: string) => Promise<Plan | undefined> {
  return async (watchId) => {
    try {
      const page = await client.workflowService.getWorkflowExecutionHistory({
        namespace: client.options.namespace,
        execution: { workflowId: watchId },
        maximumPageSize: 1,
      });
      const payloads = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
      if (!payloads?.length) return undefined;
      const input = await decodeFromPayloadsAtIndex<WatchInput>(client.options.loadedDataConverter, 0, payloads);
      return input?.plan;
    } catch {
      return undefined;
    }
  };
}
