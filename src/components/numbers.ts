import { FormEvent } from 'react';

// The editors read number inputs with these. An empty or unreadable input
// gives undefined, which leaves the setting out so that the backend's default
// applies.

/** numberOrUndefined reads a number input that accepts fractions, such as a size in MiB. */
export function numberOrUndefined(e: FormEvent<HTMLInputElement>): number | undefined {
  const text = e.currentTarget.value.trim();
  if (text === '') {
    return undefined;
  }
  const n = Number(text);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** wholeOrUndefined reads a number input that takes whole numbers only, such as a count of days. */
export function wholeOrUndefined(e: FormEvent<HTMLInputElement>): number | undefined {
  const text = e.currentTarget.value.trim();
  const n = Number(text);
  return text !== '' && Number.isInteger(n) && n >= 0 ? n : undefined;
}
