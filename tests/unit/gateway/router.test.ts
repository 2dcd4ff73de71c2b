import { describe, expect, it } from 'vitest';
import { parseFunctionRoute } from '../../../dev/gateway/router.ts';

describe('parseFunctionRoute', () => {
  it.each([
    ['/function/echo', { kind: 'sync', requestedName: 'echo', name: 'echo', namespace: 'openfaas-fn', path: '/', query: '' }],
    ['/function/echo/', { kind: 'sync', requestedName: 'echo', name: 'echo', namespace: 'openfaas-fn', path: '/', query: '' }],
    ['/function/echo.openfaas-fn/a/b?x=1&x=2', { kind: 'sync', requestedName: 'echo.openfaas-fn', name: 'echo', namespace: 'openfaas-fn', path: '/a/b', query: 'x=1&x=2' }],
    // The namespace is what follows the last dot.
    ['/function/a.b.team', { kind: 'sync', requestedName: 'a.b.team', name: 'a.b', namespace: 'team', path: '/', query: '' }],
    ['/async-function/echo/sub%20path?q', { kind: 'async', requestedName: 'echo', name: 'echo', namespace: 'openfaas-fn', path: '/sub%20path', query: 'q' }],
  ])('reads %s', (target, expected) => {
    expect(parseFunctionRoute(target)).toEqual(expected);
  });

  it.each(['/function/', '/function', '/functions/echo', '/function/ech@o', '/system/functions', '/'])('ignores %s', (target) => {
    expect(parseFunctionRoute(target)).toBeUndefined();
  });
});
