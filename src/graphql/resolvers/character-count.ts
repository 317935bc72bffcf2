/**
 * Whether `value` has more than `max` characters (Unicode code points, as the limits count them). A
 * string has at most as many code points as UTF-16 units, so one whose `length` is within `max` is never
 * spread into an array of its characters to count them (every post's fields were, on every request).
 */
export const hasMoreCharactersThan = (value: string, max: number): boolean =>
  value.length > max && [...value].length > max;
