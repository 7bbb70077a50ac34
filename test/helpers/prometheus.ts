// The tests' Prometheus is the demo's: one module in client/.
export * from '../../client/local-prometheus';
