/**
 * The `desktop-flows` executable (bundled to dist/cli.js): runs `runCli` with the real process. The
 * first Ctrl+C aborts the command (waits stop, the sandbox shuts down, exit 130); a second one exits at
 * once, first saying what is known when a start request is in flight (it may have started a run).
 */
import { runCli } from './runCli';
import { startInFlightNote } from './startInFlight';

const controller = new AbortController();
let interrupts = 0;
const onSignal = (): void => {
  interrupts++;
  if (interrupts > 1) {
    const note = startInFlightNote();
    if (note !== undefined) {
      // Synchronous for files, terminals and pipes on POSIX: it is out before the process ends.
      process.stderr.write(`${note}\n`);
    }
    process.exit(130);
  }
  controller.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

void runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  stdin: process.stdin,
  signal: controller.signal,
}).then(
  (code) => {
    process.exitCode = code;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  },
  (e: unknown) => {
    process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 4;
  },
);
