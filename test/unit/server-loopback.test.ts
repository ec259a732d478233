import { describe, expect, it } from 'vitest';
import { bindsLoopbackOnly, isLoopbackAddress } from '../../src/server/loopback.js';

describe('serve: which bind hosts count as loopback (no admin token needed)', () => {
  it('judges IP addresses by their value', () => {
    for (const a of ['127.0.0.1', '127.255.0.9', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1']) expect(isLoopbackAddress(a), a).toBe(true);
    for (const a of ['0.0.0.0', '::', '128.0.0.1', '10.0.0.1', '::ffff:10.0.0.1', '127.example.invalid', 'localhost', '']) {
      expect(isLoopbackAddress(a), a).toBe(false);
    }
  });

  it('judges a name by what it resolves to, not by its text', async () => {
    expect(await bindsLoopbackOnly('127.example.invalid')).toBe(false);
    expect(await bindsLoopbackOnly('127.0.0.1.example.invalid')).toBe(false);
    expect(await bindsLoopbackOnly('localhost')).toBe(true);
    expect(await bindsLoopbackOnly('127.0.0.2')).toBe(true);
    expect(await bindsLoopbackOnly('0.0.0.0')).toBe(false);
  });
});
