import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseTemplateFlag } from '../../src/commands/verify.js';

describe('verify --template <id[:stock]>', () => {
  it('takes a stock of 0, like run --stock 0 and the admin API', () => {
    expect(parseTemplateFlag('1:0')).toEqual({ id: 1, stock: 0 });
    expect(parseTemplateFlag('3:10')).toEqual({ id: 3, stock: 10 });
    expect(parseTemplateFlag('7')).toEqual({ id: 7 });
  });

  it('rejects a zero or negative id, a negative or fractional stock, and numbers past the safe range', () => {
    for (const bad of ['0', '0:5', '-1', '1:-1', '1:1.5', 'abc', '1:', ':3', '99999999999999999999', '1:99999999999999999999']) {
      expect(() => parseTemplateFlag(bad), bad).toThrow(InvalidArgumentError);
    }
    expect(() => parseTemplateFlag('1:-1')).toThrow('expected <id> or <id>:<stock>: id a positive integer, stock an integer >= 0');
  });
});
