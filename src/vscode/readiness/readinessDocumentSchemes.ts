/**
 * The schemes of the "Why Is It Waiting?" and "Check Before Run" documents, and what a document of either reads
 * as when this window did not make it (an editor or preview restored after a window reload: the answers are
 * held only in memory). Light: read at activation, where `extension.ts` registers their stand-ins.
 */

/** The scheme of the read-only "Why Is It Waiting?" documents. */
export const whyWaitingScheme = 'desktopflows-waiting';

/** The scheme of the read-only "Check Before Run" documents. */
export const readinessScheme = 'desktopflows-check';

/** A "Why Is It Waiting?" document this window did not make (package.json names the command). */
export const whyWaitingGoneText =
  '# Why Is It Waiting?\n\n' +
  'This answer was made before the window reloaded, so it is no longer shown. ' +
  'Run **Desktop Flows: Why Is It Waiting?** on the run again for a current answer.\n';

/** A "Check Before Run" document this window did not make (package.json names the command). */
export const readinessGoneText =
  '# Check Before Run\n\n' +
  'This check was made before the window reloaded, so it is no longer shown. ' +
  'Run **Desktop Flows: Check Before Run** on the flow again for a current check.\n';
