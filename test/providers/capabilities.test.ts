import { Capabilities, readAssumedRouteFailure } from '../../src/providers/http/capabilities';
import { ProviderError, type ProviderErrorInit } from '../../src/providers/http/provider-error';

const error = (init: Partial<ProviderErrorInit>) =>
  new ProviderError({
    provider: 'tensorone',
    route: 'GET /v2/endpoints/:endpointId',
    kind: 'http',
    code: `HTTP_${init.status}`,
    message: `HTTP ${init.status}`,
    ...init,
  });

describe('an assumed route is present only once it answered 2xx in this process', () => {
  const frameworkNotFound = error({
    status: 404,
    code: 'NOT_FOUND',
    message: 'No route GET /v2/endpoints/ep_2',
  });
  const namedNotFound = error({
    status: 404,
    code: 'ENDPOINT_NOT_FOUND',
    message: 'Endpoint ep_2 not found',
  });

  it.each([
    ['a framework 404 naming the path (and so the id)', frameworkNotFound],
    ['a 404 naming the resource with a specific code', namedNotFound],
    ['an empty 404', error({ status: 404 })],
  ])('%s before the route was seen present: cannot tell', (_, err) => {
    expect(readAssumedRouteFailure(err, false)).toBe('cannot-tell');
  });

  it.each([
    ['a 404 naming the resource', namedNotFound],
    ['a framework-shaped 404', frameworkNotFound],
    ['an empty 404', error({ status: 404 })],
  ])('%s after the route answered 2xx: the resource is gone (thrown as a failure)', (_, err) => {
    expect(readAssumedRouteFailure(err, true)).toBe('failure');
  });

  it.each([405, 501])('%i says "no such route or method" whatever was learned', (status) => {
    expect(readAssumedRouteFailure(error({ status }), false)).toBe('route-absent');
    expect(readAssumedRouteFailure(error({ status }), true)).toBe('route-absent');
  });

  it('a 400 is route absent only when it says the route or method is invalid', () => {
    expect(readAssumedRouteFailure(error({ status: 400, message: 'Invalid request method' }), false)).toBe(
      'route-absent',
    );
    expect(readAssumedRouteFailure(error({ status: 400, message: 'gpuIds is required' }), false)).toBe(
      'failure',
    );
  });

  it.each([
    ['a 500', error({ status: 500 })],
    ['a 403', error({ status: 403 })],
    ['a 410', error({ status: 410 })],
    ['a network failure', error({ kind: 'network', status: undefined, code: 'NETWORK_ERROR' })],
    ['a malformed answer', error({ kind: 'malformed', status: undefined, code: 'MALFORMED_RESPONSE' })],
  ])('%s is a failure, never a reading of the route', (_, err) => {
    expect(readAssumedRouteFailure(err, false)).toBe('failure');
  });

  it('learning is per Capabilities (one per client, so one per worker process); absence is logged once', () => {
    const logged: string[] = [];
    const learned = new Capabilities((l) => logged.push(l));
    expect(learned.isPresent('tensorone.endpoints.get')).toBe(false);
    learned.markPresent('tensorone.endpoints.get');
    expect(learned.isPresent('tensorone.endpoints.get')).toBe(true);
    expect(learned.isPresent('tensorone.endpoints.delete')).toBe(false);
    // A fresh process has learned nothing.
    expect(new Capabilities(() => undefined).isPresent('tensorone.endpoints.get')).toBe(false);
    expect(learned.cannotTell('tensorone.endpoints.delete', 'HTTP 404 NOT_FOUND')).toEqual({
      capabilityAbsent: 'tensorone.endpoints.delete',
      route: 'DELETE /v2/endpoints/:endpointId',
      unsure: true,
    });
    learned.cannotTell('tensorone.endpoints.delete', 'HTTP 404 NOT_FOUND');
    expect(learned.isAbsent('tensorone.endpoints.delete')).toBe(false);
    learned.markAbsent('tensorone.endpoints.get', 'HTTP 405');
    expect(learned.isAbsent('tensorone.endpoints.get')).toBe(true);
    expect(learned.isPresent('tensorone.endpoints.get')).toBe(false);
    expect(logged).toHaveLength(2);
  });
});
