/**
 * Money as whole cents, so sums are exact.
 *
 * @module
 */

/** An amount of money, in cents. */
export type Cents = number;

/**
 * Add amounts.
 *
 * @param amounts The amounts, in cents.
 * @returns Their sum, in cents.
 */
export function total(amounts: readonly Cents[]): Cents {
  return amounts.reduce((sum, amount) => sum + amount, 0);
}
