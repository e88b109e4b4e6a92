/** What the dev server answers: edit it while `gather --watch` runs. */
export function greet(name: string): string {
  return `hello, ${name}`;
}
