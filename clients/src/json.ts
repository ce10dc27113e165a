/** Any JSON value: what the gateway's JSON scalar carries (form data, start parameters). */
export type JSONValue = string | number | boolean | null | JSONValue[] | { [key: string]: JSONValue };
