import { describe, expect, it } from 'vitest';
import { retryAfterMs } from '../../src/core/llm/retry-after.js';

const NOW = Date.parse('2025-01-01T12:00:00Z');

describe('retryAfterMs', () => {
  it.each([
    ['retry-after in seconds', { 'retry-after': '7' }, 7000],
    ['fractional seconds', { 'retry-after': '1.5' }, 1500],
    ['an HTTP date', { 'retry-after': 'Wed, 01 Jan 2025 12:00:30 GMT' }, 30_000],
    ['an HTTP date already past', { 'retry-after': 'Wed, 01 Jan 2025 11:59:00 GMT' }, 0],
    ['retry-after-ms, before retry-after', { 'retry-after-ms': '250', 'retry-after': '7' }, 250],
    ['an unreadable retry-after-ms, falling back to retry-after', { 'retry-after-ms': 'soon', 'retry-after': '2' }, 2000],
    ['an unreadable retry-after', { 'retry-after': 'soon' }, undefined],
    ['a negative retry-after', { 'retry-after': '-3' }, undefined],
    ['no header', {}, undefined],
  ])('reads %s', (_, headers, expected) => {
    expect(retryAfterMs(new Headers(headers), NOW)).toBe(expected);
  });

  it('reads nothing without headers', () => {
    expect(retryAfterMs(undefined)).toBeUndefined();
  });
});
