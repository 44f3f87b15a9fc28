/** A user-facing error thrown by command handlers for bad input or a refused action (already in words). */
export class UserFacingError extends Error {
  constructor(
    message: string,
    readonly actions: { title: string; run: () => unknown }[] = [],
  ) {
    super(message);
    this.name = 'UserFacingError';
  }
}
