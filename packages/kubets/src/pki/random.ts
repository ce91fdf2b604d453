/**
 * Randomness is a parameter everywhere in this library (`RandomBytes`), so tests can make serial
 * numbers and tokens deterministic. The CLI passes `node:crypto`'s `randomBytes`.
 */

/** Returns `length` random bytes. Production callers must pass a CSPRNG. */
export type RandomBytes = (length: number) => Uint8Array;

/** Bits of randomness in a serial number, as the CA/Browser Forum asks for at least 64. */
export const SERIAL_NUMBER_BITS = 128;

/**
 * A random 128-bit serial number as the hex text of a positive DER INTEGER: leading zero bytes
 * dropped (DER wants the minimal encoding) and `00` put back in front when the top bit is set
 * (otherwise the number would read as negative, which Go 1.23+ refuses to parse). Zero, which
 * RFC 5280 forbids, is redrawn.
 */
export function randomSerialNumber(randomBytes: RandomBytes): string {
  for (;;) {
    const bytes = randomBytes(SERIAL_NUMBER_BITS / 8);
    if (bytes.length !== SERIAL_NUMBER_BITS / 8) {
      throw new Error(
        `random source returned ${bytes.length} bytes, wanted ${SERIAL_NUMBER_BITS / 8}`,
      );
    }
    let start = 0;
    while (start < bytes.length && bytes[start] === 0) start++;
    if (start === bytes.length) continue;
    const hex = Buffer.from(bytes.subarray(start)).toString('hex');
    return ((bytes[start] ?? 0) & 0x80) !== 0 ? `00${hex}` : hex;
  }
}
