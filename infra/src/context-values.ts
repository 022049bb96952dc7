import type { Node } from 'constructs';

/**
 * Typed reads of CDK context. A value arrives as JSON from CDK_CONTEXT_JSON or as text from
 * `-c key=value`, so each reader takes both; a bad value fails synthesis naming the key.
 */
export class ContextValues {
  readonly #node: Node;

  constructor(node: Node) {
    this.#node = node;
  }

  string(key: string): string | undefined {
    const value: unknown = this.#node.tryGetContext(key);
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw invalid(key, 'expected text');
    return value;
  }

  /** A JSON array of strings, or text separated by commas. */
  list(key: string): string[] {
    const value: unknown = this.#node.tryGetContext(key);
    if (value === undefined || value === null || value === '') return [];
    const items = typeof value === 'string' ? value.split(',') : value;
    if (!Array.isArray(items) || !items.every((item) => typeof item === 'string')) {
      throw invalid(key, 'expected a list of names, as a JSON array or separated by commas');
    }
    return items.map((item) => item.trim()).filter((item) => item !== '');
  }

  boolean(key: string, defaultValue: boolean): boolean {
    const value: unknown = this.#node.tryGetContext(key);
    if (value === undefined || value === null || value === '') return defaultValue;
    if (typeof value === 'boolean') return value;
    if (typeof value === 'string' && ['true', '1'].includes(value.toLowerCase())) return true;
    if (typeof value === 'string' && ['false', '0'].includes(value.toLowerCase())) return false;
    throw invalid(key, 'expected true or false');
  }

  int(key: string, defaultValue: number, min: number, max: number): number {
    const value: unknown = this.#node.tryGetContext(key);
    if (value === undefined || value === null || value === '') return defaultValue;
    const n = typeof value === 'string' ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      throw invalid(key, `expected a whole number from ${min} to ${max}`);
    }
    return n;
  }
}

function invalid(key: string, message: string): Error {
  return new Error(`context "${key}": ${message}`);
}
