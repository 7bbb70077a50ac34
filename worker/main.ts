// `release-watch worker`: runs until SIGINT/SIGTERM, then drains.
import { connectWorker, createWorker } from './worker';

export async function runWorker(): Promise<void> {
  const { connection, namespace } = await connectWorker();
  const worker = await createWorker(connection, namespace);
  // The SDK shuts the worker down gracefully on SIGINT/SIGTERM.
  await worker.run();
  await connection.close();
}

if (require.main === module) {
  runWorker().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
