import { setFlagsFromString } from 'node:v8';

/**
 * V8 options the kubets-store binary sets for itself (decision 0034). `--interrupt-budget` is
 * how much bytecode a function runs between V8's checks whether to optimize it (Node 20's
 * default: 67,584 bytes); a quarter of it lets a freshly started member reach optimized code
 * after a few hundred requests instead of a few thousand. A member serves each request with a
 * few dozen small functions, each run once or twice per request, so with the default budget a
 * member restarted under load spent its first thousands of requests in the interpreter and the
 * baseline compiler: 13–18 % more CPU per put in the bench's measured window, not only in its
 * warm-up. Steady-state code is the same.
 */
export const TIERING_FLAGS: readonly string[] = ['--interrupt-budget=16384'];

/**
 * The flags of {@link TIERING_FLAGS} that the operator did not set: an option given on the
 * command line (`node --interrupt-budget=… kubets-store`) or in NODE_OPTIONS wins.
 */
export function tieringFlagsToSet(
  execArgv: readonly string[],
  nodeOptions: string | undefined,
): string[] {
  const given = [...execArgv, ...(nodeOptions ?? '').split(/\s+/)];
  return TIERING_FLAGS.filter((flag) => {
    const name = flag.split('=')[0]!;
    // V8 accepts both spellings of a flag name.
    const alt = name.replaceAll('-', '_').replace(/^__/, '--');
    return !given.some((g) => g.startsWith(name) || g.startsWith(alt));
  });
}

/** Sets the tiering flags (before the member's code runs; see the binary's first import). */
export function applyTieringFlags(): void {
  for (const flag of tieringFlagsToSet(process.execArgv, process.env.NODE_OPTIONS))
    setFlagsFromString(flag);
}
