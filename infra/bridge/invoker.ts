import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { parseRetryLater } from '@chat4all/shared/kafka/retry-later.js';

/** The errorMessage of a Lambda error payload ({errorMessage, errorType, ...}), or the payload itself. */
const errorMessage = (payload: string): string => {
  try {
    const message = (JSON.parse(payload) as { errorMessage?: unknown }).errorMessage;
    return typeof message === 'string' ? message : payload;
  } catch {
    return payload;
  }
};

/** The function ran and failed (its error is the record's problem): counts toward dead-lettering. */
export class FunctionError extends Error {
  constructor(functionName: string, detail: string) {
    super(`${functionName} failed: ${detail}`);
    this.name = 'FunctionError';
  }
}

/** The invoke itself failed (serverless-offline down or restarting): retried without limit, never dead-lettered. */
export class InvokeUnavailableError extends Error {
  constructor(functionName: string, cause: unknown) {
    super(`could not invoke ${functionName}: ${(cause as Error).message}`);
    this.name = 'InvokeUnavailableError';
  }
}

export class Invoker {
  private readonly lambda: LambdaClient;

  constructor(endpoint: string) {
    this.lambda = new LambdaClient({
      endpoint,
      region: process.env.AWS_REGION ?? 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, // serverless-offline ignores them
      maxAttempts: 1,
    });
  }

  async invoke(functionName: string, event: unknown): Promise<void> {
    let response;
    try {
      response = await this.lambda.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'RequestResponse',
          Payload: JSON.stringify(event),
        }),
        { abortSignal: AbortSignal.timeout(60_000) },
      );
    } catch (error) {
      throw new InvokeUnavailableError(functionName, error);
    }
    if (response.FunctionError) {
      const payload = response.Payload ? Buffer.from(response.Payload).toString('utf8') : '';
      const retryLater = parseRetryLater(errorMessage(payload));
      if (retryLater) throw retryLater; // the function asked to be invoked again later: not a failure
      throw new FunctionError(functionName, payload.slice(0, 500) || response.FunctionError);
    }
  }

  destroy(): void {
    this.lambda.destroy();
  }
}
