/** Greets `name`; replace with the package's real entry point. */
export function hello(name: string): string {
  return `hello, ${name}`;
}
