/**
 * npm run deploy:local   package (small bundles + the shared layer), deploy stage `local` to LocalStack, verify
 *                        it through the AWS SDK and print a summary; exits non-zero when anything is missing
 * npm run remove:local   remove stage `local` from LocalStack (the stack's bucket chat4all-files stays)
 * (tsx infra/deploy/cli.ts verify   verify the current deployment only)
 */
import fs from 'node:fs';
import { deployLocal, ENDPOINT, printSummary, removeLocal, verifyDeployment } from './localstack.js';
import { MANIFEST, type Manifest } from './package.js';

const command = process.argv[2] ?? 'deploy';
const started = Date.now();
try {
  if (command === 'deploy') {
    const result = await deployLocal({ echo: true });
    printSummary(result);
    console.log(`deploy:local took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    process.exit(result.verification.problems.length ? 1 : 0);
  } else if (command === 'remove') {
    const removed = await removeLocal({ echo: true });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      removed
        ? `removed stage local from LocalStack at ${ENDPOINT} in ${seconds} s`
        : `stage local is not deployed in LocalStack at ${ENDPOINT}: nothing to remove`,
    );
  } else if (command === 'verify') {
    const manifest = JSON.parse(fs.readFileSync(MANIFEST, 'utf8')) as Manifest;
    const verification = await verifyDeployment(manifest);
    printSummary({
      manifest,
      verification,
      seconds: { package: 0, deploy: 0, verify: (Date.now() - started) / 1000 },
      skipped: true,
    });
    process.exit(verification.problems.length ? 1 : 0);
  } else {
    console.error(`unknown command ${command}: deploy | remove | verify`);
    process.exit(2);
  }
} catch (error) {
  console.error(`${command} failed: ${(error as Error).message}`);
  process.exit(1);
}
