/** Plain data as a JsonValue for result files (drops undefined and functions, as JSON does). */
import type { JsonValue } from '../core/json.ts';

export function asJson(value: unknown): JsonValue {
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}
