import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GoneException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { awsCredentials } from '../clients/s3.js';
import { config } from '../config.js';

let client: ApiGatewayManagementApiClient | undefined;

/** Signed with the default credential chain's credentials (on Lambda the role's, session token included). */
function managementApi(): ApiGatewayManagementApiClient {
  const credentials = awsCredentials();
  client ??= new ApiGatewayManagementApiClient({
    endpoint: config.realtime.managementEndpoint,
    region: config.s3.region,
    ...(credentials ? { credentials } : {}),
    maxAttempts: 2,
  });
  return client;
}

const isGone = (error: unknown): boolean =>
  error instanceof GoneException ||
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410;

/** Sends one frame to a connection: 'gone' when API Gateway says the client left (410). */
export async function postToConnection(connectionId: string, data: unknown): Promise<'sent' | 'gone'> {
  try {
    await managementApi().send(
      new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(JSON.stringify(data)) }),
      { abortSignal: AbortSignal.timeout(5000) },
    );
    return 'sent';
  } catch (error) {
    if (isGone(error)) return 'gone';
    throw error;
  }
}

/** Closes a connection (the client sees it close, and may connect again); one that is gone already is fine. */
export async function closeConnection(connectionId: string): Promise<void> {
  try {
    await managementApi().send(new DeleteConnectionCommand({ ConnectionId: connectionId }), {
      abortSignal: AbortSignal.timeout(5000),
    });
  } catch (error) {
    if (!isGone(error)) throw error;
  }
}
