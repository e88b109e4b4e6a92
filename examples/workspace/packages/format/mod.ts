/**
 * Amounts as text.
 *
 * @module
 */

import { type Cents, total } from "@example/core";

/**
 * An amount as dollars and cents.
 *
 * @param cents The amount.
 * @returns It as text, e.g. `$1.05`.
 */
export function dollars(cents: Cents): string {
  return `$${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
}

/**
 * The total of some amounts, as text.
 *
 * @param amounts The amounts, in cents.
 * @returns Their sum as text.
 */
export function totalText(amounts: readonly Cents[]): string {
  return dollars(total(amounts));
}
