import cassandra from 'cassandra-driver';
import { KafkaUnavailableError } from './kafka-unavailable.js';

const { errors, types } = cassandra;

/** Coordinator answers that mean "not now", not "not this request". */
const TRANSIENT_RESPONSE_CODES = new Set<number>([
  types.responseErrorCodes.unavailableException,
  types.responseErrorCodes.overloaded, // also "Server is shutting down"
  types.responseErrorCodes.isBootstrapping,
  types.responseErrorCodes.writeTimeout,
  types.responseErrorCodes.readTimeout,
]);

/** A connection lost mid-request ("Socket was closed") is a bare DriverError, not one of its subclasses. */
const isLostConnection = (error: unknown): boolean =>
  error instanceof errors.DriverError &&
  Object.getPrototypeOf(error) === errors.DriverError.prototype &&
  /socket|connection/i.test((error as Error).message);

/**
 * Cassandra unreachable, restarting, timing out or overloaded: nothing is wrong with the request, it may be retried.
 * Checked with instanceof and codes, never error.name: the bundler renames the driver's classes, and error.name with
 * them.
 */
export const isDatabaseUnavailable = (error: unknown): boolean =>
  error instanceof errors.NoHostAvailableError ||
  error instanceof errors.OperationTimedOutError ||
  error instanceof errors.BusyConnectionError ||
  (error instanceof errors.ResponseError && TRANSIENT_RESPONSE_CODES.has(error.code)) ||
  isLostConnection(error);

/**
 * A service the function depends on (Cassandra, Kafka) is unavailable: the failure says nothing about the request
 * or the record, so it must be retried, never answered 500 and never dead-lettered.
 */
export const isDependencyUnavailable = (error: unknown): boolean =>
  isDatabaseUnavailable(error) || error instanceof KafkaUnavailableError;
