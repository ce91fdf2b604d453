import { describe, expect, it } from 'vitest';
import { parseYamlLite } from './yaml-lite.js';

describe('parseYamlLite', () => {
  it('reads the fixture subset', () => {
    expect(
      parseYamlLite(`
$setElementOrder/mergingList:
  - name: 1
  - name: 2
mergingList:
- name: 1
  value: a
  $patch: delete
- name: "x y"
list: [a, b]
empty: {}
n: null
`),
    ).toEqual({
      '$setElementOrder/mergingList': [{ name: 1 }, { name: 2 }],
      mergingList: [{ name: 1, value: 'a', $patch: 'delete' }, { name: 'x y' }],
      list: ['a', 'b'],
      empty: {},
      n: null,
    });
    expect(parseYamlLite('{}')).toEqual({});
    expect(parseYamlLite('- 1\n- 2')).toEqual([1, 2]);
    expect(parseYamlLite('a:\n  b:\n    - c: 1\n      d:\n        - 2')).toEqual({
      a: { b: [{ c: 1, d: [2] }] },
    });
  });
});
