/**
 * The assumed routes and the typed "capability absent" answer. No Node APIs here: workflows import
 * `isAbsent` to take the documented path (the learning itself is in capabilities.ts).
 */
export const ASSUMED_ROUTES = {
  'tensorone.endpoints.get': 'GET /v2/endpoints/:endpointId',
  'tensorone.endpoints.list': 'GET /v2/endpoints',
  'tensorone.endpoints.delete': 'DELETE /v2/endpoints/:endpointId',
  'tensormesh.models.get': 'GET /v1/models/:modelId',
  'tensormesh.models.list': 'GET /v1/models',
  'tensormesh.models.delete': 'DELETE /v1/models/:modelId',
} as const;

export type AssumedCapability = keyof typeof ASSUMED_ROUTES;

/** The typed answer of an assumed route the provider does not have. Plain data: it may enter history. */
export interface CapabilityAbsent {
  capabilityAbsent: AssumedCapability;
  route: string;
  /**
   * The route answered 404 before this process ever saw it answer: it may exist and the resource be
   * missing. Absent from the answer when the route is known to be absent.
   */
  unsure?: true;
}

export function isAbsent(value: unknown): value is CapabilityAbsent {
  return (
    !!value &&
    typeof value === 'object' &&
    typeof (value as Partial<CapabilityAbsent>).capabilityAbsent === 'string'
  );
}

/** Why an assumed route's answer could not be used, for the messages that name it. */
export function absenceReason(absent: CapabilityAbsent): string {
  return absent.unsure
    ? `${absent.route} answered 404 before this worker saw it answer (a missing route and a missing resource look alike)`
    : `the provider offers no ${absent.route}`;
}
