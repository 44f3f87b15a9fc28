/**
 * The one list of command ids in code. `package.json` `contributes.commands` must declare exactly these
 * (checked by a unit test and by the integration tier against the running extension).
 */
export const commandIds = {
  // Sign-in
  signIn: 'desktopFlows.auth.signIn',
  signInWithDeviceCode: 'desktopFlows.auth.signInWithDeviceCode',
  signInServicePrincipal: 'desktopFlows.auth.signInServicePrincipal',
  trySandbox: 'desktopFlows.auth.trySandbox',
  signOut: 'desktopFlows.auth.signOut',
  // Explorer
  refresh: 'desktopFlows.explorer.refresh',
  refreshNode: 'desktopFlows.explorer.refreshNode',
  filterFlows: 'desktopFlows.explorer.filterFlows',
  clearFlowFilter: 'desktopFlows.explorer.clearFilter',
  showDrafts: 'desktopFlows.explorer.showDrafts',
  hideDrafts: 'desktopFlows.explorer.hideDrafts',
  loadMore: 'desktopFlows.explorer.loadMore',
  retry: 'desktopFlows.explorer.retry',
  copyId: 'desktopFlows.explorer.copyId',
  openInPortal: 'desktopFlows.explorer.openInPortal',
  selectEnvironment: 'desktopFlows.environment.select',
  showLog: 'desktopFlows.log.show',
  // Input files
  newInputFile: 'desktopFlows.inputs.newFile',
  validateInputFile: 'desktopFlows.inputs.validate',
  setSecret: 'desktopFlows.secrets.set',
  deleteSecret: 'desktopFlows.secrets.delete',
  // Runs
  runFlow: 'desktopFlows.run.start',
  runInputFile: 'desktopFlows.run.startFromFile',
  runAgain: 'desktopFlows.run.again',
  cancelRun: 'desktopFlows.run.cancel',
  showRunTranscript: 'desktopFlows.run.showTranscript',
  openRunOutputs: 'desktopFlows.run.openOutputs',
  saveOutputsAsInputFile: 'desktopFlows.run.saveOutputsAsInputFile',
  showRunDetails: 'desktopFlows.run.showDetails',
  compareRunOutputs: 'desktopFlows.run.compareOutputs',
  showActiveRuns: 'desktopFlows.run.showActive',
  checkBeforeRun: 'desktopFlows.run.checkBeforeRun',
  whyWaiting: 'desktopFlows.run.whyWaiting',
  copyRunAsMarkdown: 'desktopFlows.run.copyAsMarkdown',
  openRunInPortal: 'desktopFlows.run.openInPowerAutomate',
  // Runs view
  refreshRunsView: 'desktopFlows.runs.refresh',
  showMyRuns: 'desktopFlows.runs.showMine',
  showAllRuns: 'desktopFlows.runs.showAll',
  filterRunsByStatus: 'desktopFlows.runs.filterStatus',
  filterRunsByEnvironment: 'desktopFlows.runs.filterEnvironment',
  clearRunsFilter: 'desktopFlows.runs.clearFilter',
  loadMoreRuns: 'desktopFlows.runs.loadMore',
  // Batches
  runFolderBatch: 'desktopFlows.batch.runFolder',
  cancelBatch: 'desktopFlows.batch.cancel',
  rerunFailedBatch: 'desktopFlows.batch.rerunFailed',
  openBatchReport: 'desktopFlows.batch.openReport',
  // Flow tests
  createTestFromRun: 'desktopFlows.tests.createFromRun',
} as const;

export type CommandId = (typeof commandIds)[keyof typeof commandIds];
