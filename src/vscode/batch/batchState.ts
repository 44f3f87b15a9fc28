/** The `workspaceState` key of the batches a window left unfinished (read at activation: keep this file light). */
export const unfinishedBatchesKey = 'desktopFlows.batch.unfinished';
