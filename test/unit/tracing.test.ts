// Where traces go: --otlp first, then the standard OTLP variables; a bad value names its source.
import { tracesUrl } from '../../worker/tracing';

test('a base URL gets /v1/traces; a traces URL is kept; nothing configured is off', () => {
  expect(tracesUrl('http://collector:4318')).toBe('http://collector:4318/v1/traces');
  expect(tracesUrl('https://otel.example.com/base/', {})).toBe('https://otel.example.com/base/v1/traces');
  expect(tracesUrl('http://collector:4318/v1/traces', {})).toBe('http://collector:4318/v1/traces');
  expect(tracesUrl(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toBe('http://c:4318/v1/traces');
  expect(
    tracesUrl(undefined, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/custom', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://d:1' }),
  ).toBe('http://c:4318/custom');
  expect(tracesUrl('http://flag:1', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://env:1' })).toBe('http://flag:1/v1/traces');
  expect(tracesUrl(undefined, {})).toBeUndefined();
});

test('a value that is not an http(s) URL is refused, naming where it came from', () => {
  expect(() => tracesUrl('collector:4318', {})).toThrow(
    '--otlp must be an http(s) URL such as http://collector:4318 (got "collector:4318")',
  );
  expect(() => tracesUrl(undefined, { OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://c:4317' })).toThrow(
    /^OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL/,
  );
});
