/**
 * osls plugin (serverless.yml `plugins`), for deploys only; it does nothing under `osls offline`.
 *
 * 1. Artifacts: a package or deploy ships what infra/deploy/package.ts built (dist/deploy/manifest.json): each
 *    function's small bundle as its own zip (the dependencies and shared code come from the `shared` layer)
 *    instead of zipping dist/functions, serverless-offline's fully bundled files.
 * 2. LocalStack: the stages of `custom.localstack.stages` go to LocalStack, never to an AWS account. This is the
 *    job of serverless-localstack on serverless v3; serverless-localstack 1.4 calls the AWS SDK v2 surface that
 *    osls 4 removed (provider.getCredentials() throws), while osls 4's SDK v3 clients follow AWS_ENDPOINT_URL.
 * 3. Kafka triggers of those stages: they consume the same local topics as serverless-offline's event-source bridge,
 *    so each gets its own consumer group (`<consumerGroupId>.<stage>`, plus CHAT4ALL_KAFKA_GROUP_SUFFIX when set) and
 *    never takes records from the bridge's groups; and a group the stage creates starts at the end of its topic
 *    (LATEST) instead of replaying the local topics' whole history. Other stages deploy serverless.yml as written.
 */
import fs from 'node:fs';
import path from 'node:path';

const AWS_COMMANDS = new Set(['deploy', 'remove', 'package', 'info', 'rollback', 'invoke', 'logs', 'metrics']);

export default class Chat4AllDeploy {
  constructor(serverless, options = {}, { log } = {}) {
    this.serverless = serverless;
    this.options = options;
    this.log = log;
    const useArtifacts = () => this.useArtifacts();
    this.hooks = {
      initialize: () => this.targetLocalStack(),
      'before:package:createDeploymentArtifacts': useArtifacts,
      'before:deploy:function:packageFunction': useArtifacts,
    };
  }

  targetLocalStack() {
    const command = this.serverless.processedInput?.commands?.[0];
    if (!AWS_COMMANDS.has(command)) return;
    const settings = this.serverless.service.custom?.localstack ?? {};
    const stage = this.options.stage ?? this.serverless.service.provider.stage;
    if (!(settings.stages ?? []).includes(stage)) return;
    process.env.AWS_ENDPOINT_URL ||= settings.endpoint ?? 'http://127.0.0.1:4566';
    // LocalStack's development credentials, so that no real ones are ever sent (or needed) for these stages.
    process.env.AWS_ACCESS_KEY_ID = 'test';
    process.env.AWS_SECRET_ACCESS_KEY = 'test';
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    this.log?.notice(`Stage ${stage} deploys to LocalStack at ${process.env.AWS_ENDPOINT_URL}`);
    const suffix = `.${stage}${process.env.CHAT4ALL_KAFKA_GROUP_SUFFIX ?? ''}`;
    for (const name of this.serverless.service.getAllFunctions()) {
      for (const event of this.serverless.service.getFunction(name).events ?? []) {
        if (!event.kafka) continue;
        event.kafka.consumerGroupId = `${event.kafka.consumerGroupId ?? `${this.serverless.service.service}-${name}`}${suffix}`;
        event.kafka.startingPosition = 'LATEST';
      }
    }
    // `remove` asks ECR for the service's image repository once the stack is gone; LocalStack's community
    // edition has no ECR and answers an error. Without provider.ecr.images there is no repository to remove.
    const remove = this.serverless.pluginManager.plugins.find((plugin) => plugin.constructor.name === 'AwsRemove');
    if (remove?.checkIfEcrRepositoryExists && !this.serverless.service.provider.ecr?.images) {
      const check = remove.checkIfEcrRepositoryExists.bind(remove);
      remove.checkIfEcrRepositoryExists = () => check().catch(() => false);
    }
  }

  useArtifacts() {
    const serviceDir = this.serverless.serviceDir;
    const manifestPath = path.join(serviceDir, 'dist', 'deploy', 'manifest.json');
    const fail = (message) => {
      throw new this.serverless.classes.Error(
        `${message}: build the deploy artifacts first (npm run deploy:local does, or npx tsx infra/deploy/package.ts)`,
      );
    };
    if (!fs.existsSync(manifestPath)) fail(`${path.relative(serviceDir, manifestPath)} is missing`);
    const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
    // Into .serverless/, like the zips osls makes itself: its "no changes, skip the deploy" check hashes the
    // zips found there, so an unchanged service redeploys in seconds.
    const packageDir = path.join(serviceDir, '.serverless');
    fs.mkdirSync(packageDir, { recursive: true });
    const stage = (zip, name) => {
      fs.copyFileSync(zip, path.join(packageDir, name));
      return path.join('.serverless', name);
    };
    const built = new Map(manifest.functions.map((fn) => [fn.name, fn]));
    for (const name of this.serverless.service.getAllFunctions()) {
      const functionObject = this.serverless.service.getFunction(name);
      const artifact = built.get(name);
      if (!artifact || artifact.handler !== functionObject.handler || !fs.existsSync(artifact.zip))
        fail(`no up-to-date artifact for function ${name}`);
      functionObject.package = { ...functionObject.package, artifact: stage(artifact.zip, `${name}.zip`) };
    }
    // The layer stays where it is (serverless.yml): osls puts its hash in the template and uploads it only when
    // it changed, so the template hash that check compares already covers it.
    for (const [name, layer] of Object.entries(this.serverless.service.layers ?? {})) {
      const artifact = layer.package?.artifact;
      if (artifact && !fs.existsSync(path.resolve(serviceDir, artifact))) fail(`layer ${name}: ${artifact} is missing`);
    }
  }
}
