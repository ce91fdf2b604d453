import { describe, expect, it } from 'vitest';
import { findCycles } from './cycles.js';

const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

describe('findCycles', () => {
  it('finds nothing in a DAG', () => {
    expect(findCycles(graph({ a: ['b', 'c'], b: ['c'], c: [] }))).toEqual([]);
  });

  it('finds a two-node and a three-node cycle separately', () => {
    const cycles = findCycles(
      graph({ a: ['b'], b: ['a'], c: ['d'], d: ['e'], e: ['c'], f: ['a'] }),
    );
    expect(cycles).toHaveLength(2);
    expect(cycles).toContainEqual(['a', 'b']);
    expect(cycles).toContainEqual(['c', 'd', 'e']);
  });

  it('reports a self-import', () => {
    expect(findCycles(graph({ a: ['a'] }))).toEqual([['a']]);
  });

  it('handles a 20 000-long chain without overflowing the stack', () => {
    const edges: Record<string, string[]> = {};
    for (let i = 0; i < 20_000; i++) edges[`n${i}`] = [`n${i + 1}`];
    edges['n20000'] = ['n0'];
    const cycles = findCycles(graph(edges));
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toHaveLength(20_001);
  });
});
