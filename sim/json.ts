// JSON text in the service's style: money fields always carry a decimal point ("cost":0.0).

const MONEY = /"(cost|spent|ceiling)":(-?\d+)(?=[,}\]])/g;

export function jsonText(value: unknown): string {
  return JSON.stringify(value).replace(MONEY, '"$1":$2.0');
}
