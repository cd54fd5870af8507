/** A provisioning failure the user can act on: the message is the one line they need. */
export class EngineProvisionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineProvisionError';
  }
}
