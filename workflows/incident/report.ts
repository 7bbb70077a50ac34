// Reporting an incident's changes to its watch, in order and without holding the incident's loop: a
// deadline that passes during a report's round trip still pages on time.
import { getExternalWorkflowHandle, workflowInfo } from '@temporalio/workflow';
import type { IncidentChange } from '../../core/incidents';
import { incidentChangedSignal } from '../definitions';
import type { IncidentRun } from './run';

export class Reporter {
  private reported = '';
  /** The reports sent so far, in order: each waits for the one before, so the watch sees them in turn. */
  private chain: Promise<void> = Promise.resolve();
  private readonly parent = workflowInfo().parent;

  constructor(private readonly run: IncidentRun) {}

  /** Sends the change beside the loop. */
  beside(): void {
    this.chain = this.chain.then(() => this.report());
    this.run.beside(this.chain);
  }

  /** Waits for every report sent so far, then sends the last state once more if it changed. */
  async flush(): Promise<void> {
    await this.chain;
    await this.report();
  }

  private async report(): Promise<void> {
    const { rec, input, undelivered } = this.run;
    const change: IncidentChange = {
      id: input.id,
      state: rec.state,
      holder: rec.holder,
      nextDeadlineAt: rec.nextDeadlineAt,
      ackedAt: rec.ackedAt,
      ackedBy: rec.ackedBy,
      resolvedAt: rec.resolvedAt,
      resolvedBy: rec.resolvedBy,
      rootCause: rec.rootCause,
      documentPath: rec.documentPath,
      pages: rec.pages.length,
      sent: rec.sent ?? 0,
      ...(undelivered.length ? { undelivered: [...undelivered] } : {}),
    };
    const key = JSON.stringify(change);
    if (key === this.reported || !this.parent) return;
    this.reported = key;
    // The watch may have ended: it then reads nothing more, and the incident goes on.
    await getExternalWorkflowHandle(this.parent.workflowId)
      .signal(incidentChangedSignal, change)
      .catch(() => undefined);
  }
}
