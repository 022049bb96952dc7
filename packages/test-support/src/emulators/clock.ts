/** Milliseconds since the epoch. Injected so tests can hold time still while counting rate windows. */
export type Clock = () => number;
