/** The id of the Runs view (package.json `views`); its own module so activation can name it without loading the view. */
export const runsViewId = 'desktopFlows.runs';
