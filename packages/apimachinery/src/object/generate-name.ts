/**
 * generateName completion (names.SimpleNameGenerator): the prefix, cut to leave room, plus five
 * random characters from upstream's alphabet (no vowels, no confusable digits, so generated names
 * never spell words). Randomness is the caller's.
 */

/** utilrand's alphabet: consonants and digits that cannot be confused or form words. */
export const NAME_SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
export const MAX_NAME_LENGTH = 63;
export const RANDOM_SUFFIX_LENGTH = 5;
/** Longest prefix kept from generateName. */
export const MAX_GENERATED_NAME_PREFIX_LENGTH = MAX_NAME_LENGTH - RANDOM_SUFFIX_LENGTH;

/** A source of integers in [0, n). */
export type RandomIntn = (n: number) => number;

/** A random string of `length` characters from {@link NAME_SUFFIX_ALPHABET}. */
export function randomSuffix(randomIntn: RandomIntn, length = RANDOM_SUFFIX_LENGTH): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    const n = randomIntn(NAME_SUFFIX_ALPHABET.length);
    if (!Number.isInteger(n) || n < 0 || n >= NAME_SUFFIX_ALPHABET.length) {
      throw new RangeError(`randomIntn(${NAME_SUFFIX_ALPHABET.length}) returned ${n}`);
    }
    out += NAME_SUFFIX_ALPHABET[n];
  }
  return out;
}

/** SimpleNameGenerator.GenerateName: `web-` -> `web-x7kqp`. */
export function generateName(base: string, randomIntn: RandomIntn): string {
  const prefix =
    base.length > MAX_GENERATED_NAME_PREFIX_LENGTH
      ? base.slice(0, MAX_GENERATED_NAME_PREFIX_LENGTH)
      : base;
  return prefix + randomSuffix(randomIntn);
}
