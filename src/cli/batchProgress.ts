/**
 * Progress of `desktop-flows batch` on stderr. On a terminal: one live line, rewritten in place at most
 * ten times a second (started / queued / running / succeeded / failed / waiting for the rate limit,
 * elapsed, estimated time left). Otherwise (a pipe, a CI log): plain lines, one per state change.
 */
import type { BatchCounts, BatchProgressEvent } from '../core/batch/batchRunner';
import type { RunClock } from '../core/runs/runClock';
import { describeStatus, formatDuration } from '../core/runs/runTranscript';
import { secretMasker } from '../core/util/secretMasker';
import type { CliWritable } from './cliIo';

/** Prints batch progress; call `dispose` before printing anything else on stderr. */
export class BatchProgressPrinter {
  private lastDraw = 0;
  private drawn = false;
  private counts: BatchCounts | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stderr: CliWritable,
    private readonly live: boolean,
    private readonly clock: RunClock,
    private readonly startedAt: number,
    private readonly wait: boolean,
    private readonly display: (file: string) => string,
  ) {}

  /** A progress event of the runner. */
  onProgress(event: BatchProgressEvent, counts: BatchCounts): void {
    this.counts = counts;
    if (this.live) {
      this.schedule();
      if (
        event.kind === 'rejected' ||
        event.kind === 'unknown' ||
        (event.kind === 'finished' && event.error !== undefined)
      ) {
        this.above(this.describe(event));
      }
      return;
    }
    const line = this.describe(event);
    if (line !== undefined) {
      this.stderr.write(`${secretMasker.mask(line)}\n`);
    }
  }

  /** A line printed above the live line (or plainly). */
  note(text: string): void {
    this.above(text);
  }

  /** Clears the live line for good. */
  dispose(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.live && this.drawn) {
      this.draw();
      this.stderr.write('\n');
      this.drawn = false;
    }
  }

  private above(text: string | undefined): void {
    if (text === undefined) {
      return;
    }
    if (this.live && this.drawn) {
      this.stderr.write('\r\x1b[2K');
    }
    this.stderr.write(`${secretMasker.mask(text)}\n`);
    if (this.live && this.drawn) {
      this.draw();
    }
  }

  private schedule(): void {
    const now = Date.now();
    if (now - this.lastDraw >= 100) {
      this.draw();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, 100);
  }

  private draw(): void {
    if (this.counts === undefined) {
      return;
    }
    this.lastDraw = Date.now();
    this.stderr.write(`\r\x1b[2K${secretMasker.mask(this.statusLine(this.counts))}`);
    this.drawn = true;
  }

  /** The live line's text. */
  statusLine(c: BatchCounts): string {
    const elapsed = this.clock.now() - this.startedAt;
    const parts = [`Batch ${c.started}/${c.total} started`];
    if (this.wait) {
      parts.push(`${c.queued} queued`, `${c.running} running`, `${c.succeeded} succeeded`);
    }
    parts.push(`${c.failed} failed`);
    if (c.cancelled > 0) {
      parts.push(`${c.cancelled} cancelled`);
    }
    if (c.unknown > 0) {
      parts.push(`${c.unknown} uncertain`);
    }
    if (c.skipped > 0) {
      parts.push(`${c.skipped} skipped`);
    }
    if (c.waitingForRateLimit > 0) {
      parts.push(
        `waiting for the rate limit (${c.waitingForRateLimit} connection${c.waitingForRateLimit === 1 ? '' : 's'})`,
      );
    }
    parts.push(`${formatDuration(elapsed)} elapsed`);
    const left = this.estimateLeft(c, elapsed);
    if (left !== undefined) {
      parts.push(`about ${formatDuration(left)} left`);
    }
    return parts.join(' · ');
  }

  private estimateLeft(c: BatchCounts, elapsed: number): number | undefined {
    const done = this.wait
      ? c.succeeded + c.failed + c.cancelled + c.skipped
      : c.started + c.failed + c.skipped;
    const remaining = c.total - done - c.unknown;
    if (done === 0 || remaining <= 0) {
      return undefined;
    }
    return (elapsed / done) * remaining;
  }

  private describe(event: BatchProgressEvent): string | undefined {
    switch (event.kind) {
      case 'started':
        return `${this.display(event.file)}: started run ${event.runId} on ${event.connection}${event.reconciled ? ' (found after the answer was lost)' : ''}`;
      case 'rejected':
        return `${this.display(event.file)}: not started: ${event.error.message}${event.error.remedy === undefined ? '' : ` ${event.error.remedy}`}`;
      case 'unknown':
        return `${this.display(event.file)}: may have started, not confirmed: ${event.error.message}`;
      case 'requeued':
        return `${this.display(event.file)}: not sent (${event.reason}); it goes back in the queue`;
      case 'status':
        return `${this.display(event.file)}: ${describeStatus(event.status)}`;
      case 'finished':
        return `${this.display(event.file)}: ${describeStatus(event.status)}${event.error === undefined ? '' : ` ${event.error.code === undefined ? '' : `(${event.error.code}) `}${event.error.message}${event.error.remedy === undefined ? '' : ` ${event.error.remedy}`}`}`;
      case 'waiting':
        return `Waiting for the rate limit of ${event.connection} until ${new Date(event.until).toISOString()} (${event.reason === 'serviceThrottled' ? 'the service asked to wait' : '70 starts per minute'})`;
    }
  }
}
