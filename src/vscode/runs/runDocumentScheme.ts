/** The scheme of read-only run documents (outputs JSON, details markdown). Light: read at activation. */
export const runDocumentScheme = 'desktopflows-run';
